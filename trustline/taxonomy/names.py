"""The seeded taxonomy's words, so that ``make messages`` puts them in the catalogues.

Categories are database rows (``data/categories.json``, seeded by a migration), which gettext
cannot find. Listed here with ``gettext_noop``, the seeded names, policy areas and descriptions
are translated like any other message, and pages show them through the
``Category.shown_*`` properties: a name the programme has since edited has no
translation and shows as written. ``taxonomy/tests/test_names.py`` keeps this list in step with
the JSON file."""

from __future__ import annotations

from django.utils.translation import gettext_noop

SEEDED_WORDS = (
    gettext_noop("Violence and incitement"),
    gettext_noop("Threat to life or credible violent threat"),
    gettext_noop(
        "A credible threat to kill or seriously injure an identifiable person or group, or a call to "
        "attack them."
    ),
    gettext_noop("Blasphemy or apostasy accusation endangering a person"),
    gettext_noop("Accusing a named person of blasphemy or apostasy where such accusations lead to mob violence."),
    gettext_noop("Dangerous organisations and individuals"),
    gettext_noop("Terrorist content or ongoing attack"),
    gettext_noop(
        "Content by or supporting designated terrorist organisations, livestreams or manifestos of "
        "attacks."
    ),
    gettext_noop("Child safety"),
    gettext_noop("Child sexual exploitation"),
    gettext_noop(
        "Child sexual abuse material, grooming or sexual enticement of minors. Do not attach the "
        "material itself."
    ),
    gettext_noop("Privacy and safety"),
    gettext_noop("Outing that endangers someone"),
    gettext_noop(
        "Revealing someone's sexual orientation, gender identity, religion, ethnicity, or role as an "
        "activist or witness where this puts them at risk."
    ),
    gettext_noop("Human exploitation"),
    gettext_noop("Human trafficking and exploitation"),
    gettext_noop("Recruitment, sale or exploitation of people, including smuggling offers that endanger migrants."),
    gettext_noop("Suicide and self-injury"),
    gettext_noop("Content showing intent of suicide or self-injury, or promoting it."),
    gettext_noop("Incitement to violence or hatred"),
    gettext_noop("Calls to violence or to hatred against groups, without an identifiable imminent target."),
    gettext_noop("Doxxing: sharing private information"),
    gettext_noop(
        "Home addresses, phone numbers, locations or identity documents of private people shared to "
        "target them."
    ),
    gettext_noop("Adult sexual exploitation"),
    gettext_noop("Non-consensual intimate imagery"),
    gettext_noop("Intimate images or deepfakes shared without consent, or threats to share them (sextortion)."),
    gettext_noop("Hateful conduct"),
    gettext_noop("Targeted hateful conduct"),
    gettext_noop("Dehumanising or hateful attacks on people for a protected characteristic."),
    gettext_noop("Bullying and harassment"),
    gettext_noop("Harassment and bullying"),
    gettext_noop("Repeated, targeted abuse or intimidation of a person."),
    gettext_noop("Online violence against women and girls"),
    gettext_noop("Gendered harassment, incitement or disinformation targeting women and girls."),
    gettext_noop("Civic integrity"),
    gettext_noop("Election interference or voter suppression"),
    gettext_noop(
        "False information about when, where or how to vote, or intimidation of voters, candidates or "
        "officials."
    ),
    gettext_noop("Misinformation"),
    gettext_noop("Harmful misinformation"),
    gettext_noop("False claims that can contribute to imminent violence, physical harm or public-health risk."),
    gettext_noop("Inauthentic behaviour"),
    gettext_noop("Coordinated inauthentic behaviour"),
    gettext_noop("Networks of fake or coordinated accounts deceiving people about who is behind them."),
    gettext_noop("Impersonation or account takeover"),
    gettext_noop("Accounts pretending to be a person or organisation, or hijacked accounts."),
    gettext_noop("Fraud and deception"),
    gettext_noop("Scams and fraud"),
    gettext_noop("Phishing, fake aid or donation drives, investment and recruitment scams."),
    gettext_noop("Regulated goods"),
    gettext_noop("Prohibited goods and services"),
    gettext_noop("Sale of weapons, drugs or other prohibited goods."),
    gettext_noop("Animal cruelty or illegal wildlife trade"),
    gettext_noop("Animal abuse or unlawful sale of protected animals."),
    gettext_noop("Misleading consumer information"),
    gettext_noop("Hidden advertising or misleading information about goods and services."),
    gettext_noop("Intellectual property"),
    gettext_noop("Intellectual property infringement"),
    gettext_noop("Copyright or trademark infringement."),
    gettext_noop("Other"),
    gettext_noop("Other policy violation"),
    gettext_noop("Anything else that breaks the platform's rules; explain which rule."),
)
