"""The default explanations in French, Spanish and Arabic, with the words they are filled with.

A partner reads the decision's explanation in the language of its report
when a template exists in it (``selectors.template_choose``). Each language's
template and its action phrases are written together, because the phrases
must fit the sentence: English says "We {actions}." with verbs ("removed the
content"), these say "Measures taken: {actions}." with nouns, which read
well for every combination of actions, including none. Category names and
policy areas come from the message catalogues (``Category.shown_name``).

Native review recommended, as for the catalogues (docs/architecture.md).
"""

from __future__ import annotations

from trustline.review.choices import Outcome

# outcome -> language -> (name, body); the names are for staff, in the admin and the API.
TRANSLATED_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    Outcome.VIOLATING: {
        "fr": ("Violating (default, French)",
               "Merci pour votre signalement du {reported_on}. Nous avons examiné le contenu signalé comme "
               "« {category} » et constaté qu'il enfreint notre politique « {policy_area} » ({policy}). Mesures "
               "prises : {actions}. Fondement : {ground}. Décision du {decided_on}. Vous pouvez contester cette "
               "décision dans un délai de six mois."),
        "es": ("Violating (default, Spanish)",
               "Gracias por su reporte del {reported_on}. Revisamos el contenido reportado como «{category}» y "
               "determinamos que infringe nuestra política de «{policy_area}» ({policy}). Medidas adoptadas: "
               "{actions}. Fundamento: {ground}. Decidido el {decided_on}. Puede impugnar esta decisión en un plazo "
               "de seis meses."),
        "ar": ("Violating (default, Arabic)",
               "شكرًا على بلاغك بتاريخ {reported_on}. راجعنا المحتوى المُبلَّغ عنه بوصفه «{category}» ووجدنا أنه "
               "يخالف سياستنا بشأن «{policy_area}» ({policy}). الإجراءات المتخذة: {actions}. الأساس: {ground}. "
               "تاريخ القرار: {decided_on}. يمكنك الطعن في هذا القرار خلال ستة أشهر."),
    },
    Outcome.NOT_VIOLATING: {
        "fr": ("Not violating (default, French)",
               "Merci pour votre signalement du {reported_on}. Nous avons examiné le contenu signalé comme "
               "« {category} » et constaté qu'il n'enfreint pas nos politiques : nous n'avons donc pris aucune "
               "mesure. Décision du {decided_on}. Vous pouvez contester cette décision dans un délai de six mois ; "
               "un contexte ou des preuves supplémentaires nous aident à réexaminer le contenu."),
        "es": ("Not violating (default, Spanish)",
               "Gracias por su reporte del {reported_on}. Revisamos el contenido reportado como «{category}» y "
               "determinamos que no infringe nuestras políticas, por lo que no adoptamos ninguna medida. Decidido "
               "el {decided_on}. Puede impugnar esta decisión en un plazo de seis meses; más contexto o pruebas nos "
               "ayudan a examinarlo de nuevo."),
        "ar": ("Not violating (default, Arabic)",
               "شكرًا على بلاغك بتاريخ {reported_on}. راجعنا المحتوى المُبلَّغ عنه بوصفه «{category}» ووجدنا أنه "
               "لا يخالف سياساتنا، لذا لم نتخذ أي إجراء. تاريخ القرار: {decided_on}. يمكنك الطعن في هذا القرار "
               "خلال ستة أشهر؛ ويساعدنا أي سياق أو دليل إضافي على إعادة النظر فيه."),
    },
    Outcome.NEEDS_MORE_INFORMATION: {
        "fr": ("Needs more information (default, French)",
               "Merci pour votre signalement du {reported_on}. Pour décider, nous avons besoin de plus "
               "d'informations de votre part : {question} Merci de répondre avant le {answer_due_on}. Le temps "
               "d'attente de votre réponse n'est pas compté dans notre délai de traitement."),
        "es": ("Needs more information (default, Spanish)",
               "Gracias por su reporte del {reported_on}. Para decidir, necesitamos más información de su parte: "
               "{question} Responda antes del {answer_due_on}. El tiempo que esperamos su respuesta no cuenta en "
               "nuestro plazo de respuesta."),
        "ar": ("Needs more information (default, Arabic)",
               "شكرًا على بلاغك بتاريخ {reported_on}. لكي نتخذ قرارًا نحتاج إلى مزيد من المعلومات منك: {question} "
               "يُرجى الإجابة قبل {answer_due_on}. لا يُحتسب الوقت الذي ننتظر فيه إجابتك من مدة استجابتنا."),
    },
    Outcome.OUT_OF_SCOPE: {
        "fr": ("Out of scope (default, French)",
               "Merci pour votre signalement du {reported_on}. Le contenu signalé comme « {category} » ne relève ni "
               "de ce programme ni de nos politiques : nous n'avons donc pris aucune mesure. Décision du "
               "{decided_on}."),
        "es": ("Out of scope (default, Spanish)",
               "Gracias por su reporte del {reported_on}. El contenido reportado como «{category}» queda fuera de lo "
               "que cubren este programa y nuestras políticas, por lo que no adoptamos ninguna medida. Decidido el "
               "{decided_on}."),
        "ar": ("Out of scope (default, Arabic)",
               "شكرًا على بلاغك بتاريخ {reported_on}. يقع المحتوى المُبلَّغ عنه بوصفه «{category}» خارج نطاق هذا "
               "البرنامج وسياساتنا، لذا لم نتخذ أي إجراء. تاريخ القرار: {decided_on}."),
    },
    Outcome.REFERRED_TO_POLICY_REVIEW: {
        "fr": ("Referred to policy review (default, French)",
               "Merci pour votre signalement du {reported_on}. Le contenu signalé comme « {category} » soulève une "
               "question que nos politiques actuelles ne tranchent pas : nous l'avons transmis à notre équipe "
               "chargée des politiques le {decided_on}. Nous vous informerons du résultat."),
        "es": ("Referred to policy review (default, Spanish)",
               "Gracias por su reporte del {reported_on}. El contenido reportado como «{category}» plantea una "
               "cuestión que nuestras políticas actuales no resuelven, por lo que lo remitimos a nuestro equipo de "
               "políticas el {decided_on}. Le comunicaremos el resultado."),
        "ar": ("Referred to policy review (default, Arabic)",
               "شكرًا على بلاغك بتاريخ {reported_on}. يثير المحتوى المُبلَّغ عنه بوصفه «{category}» مسألة لا "
               "تحسمها سياساتنا الحالية، لذا أحلناه إلى فريق السياسات لدينا بتاريخ {decided_on}. وسنبلغك بالنتيجة."),
    },
    Outcome.REFERRED_TO_LAW_ENFORCEMENT: {
        "fr": ("Referred to law enforcement (default, French)",
               "Merci pour votre signalement du {reported_on}. Le {decided_on}, nous avons transmis l'affaire "
               "signalée comme « {category} » à notre équipe chargée des demandes des autorités, qui gère les "
               "contacts avec celles-ci."),
        "es": ("Referred to law enforcement (default, Spanish)",
               "Gracias por su reporte del {reported_on}. El {decided_on} remitimos el asunto reportado como "
               "«{category}» a nuestro equipo de respuesta a las autoridades, que gestiona el contacto con ellas."),
        "ar": ("Referred to law enforcement (default, Arabic)",
               "شكرًا على بلاغك بتاريخ {reported_on}. بتاريخ {decided_on} أحلنا المسألة المُبلَّغ عنها بوصفها "
               "«{category}» إلى فريقنا المختص بطلبات جهات إنفاذ القانون، وهو الذي يتولى التواصل مع السلطات."),
    },
}

# language -> action -> phrase, for {actions}; {countries} is the territorial scope.
TRANSLATED_PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        "remove": "suppression du contenu",
        "restrict_visibility": "réduction de sa visibilité",
        "geo_restrict": "restriction dans les pays suivants : {countries}",
        "label": "ajout d'une étiquette",
        "age_restrict": "accès réservé aux adultes",
        "restrict_account": "restriction du compte de l'auteur",
        "suspend_account": "suspension du compte de l'auteur",
        "no_action": "aucune mesure sur la plateforme",
    },
    "es": {
        "remove": "retirada del contenido",
        "restrict_visibility": "reducción de su visibilidad",
        "geo_restrict": "restricción en {countries}",
        "label": "adición de una etiqueta",
        "age_restrict": "acceso solo para personas adultas",
        "restrict_account": "restricción de la cuenta del autor",
        "suspend_account": "suspensión de la cuenta del autor",
        "no_action": "ninguna medida en la plataforma",
    },
    "ar": {
        "remove": "إزالة المحتوى",
        "restrict_visibility": "الحد من ظهوره",
        "geo_restrict": "تقييده في {countries}",
        "label": "إضافة تنبيه إليه",
        "age_restrict": "قصره على البالغين",
        "restrict_account": "تقييد حساب الناشر",
        "suspend_account": "تعليق حساب الناشر",
        "no_action": "عدم اتخاذ أي إجراء على المنصة",
    },
}

# language -> (between items, before the last item)
TRANSLATED_JOINS: dict[str, tuple[str, str]] = {
    "fr": (", ", " et "),
    "es": (", ", " y "),
    "ar": (" و", " و"),
}
