"""The language an organisation's e-mails are written in.

Why: the portal speaks Arabic, French and Spanish, and a decision's
explanation can be written in the partner's language, yet the e-mail
around it (subject, what happened, which reports) was always English. A
partner analyst in Khartoum reading mail on a phone should not need a
translator for "More information needed on your report".

The services that cause an e-mail compose its subject and body inside
:func:`in_language_of`, with ``gettext``. Webhook payloads keep codes
(``outcome``, ``actions``): they are read by programs.

The language, in order:

1. the organisation's ``NotificationSetting.email_language``, when set;
2. else the first language its accreditation covers that Trustline's
   interface speaks (``settings.LANGUAGES``; ``ar-SD`` counts as ``ar``);
3. else ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.utils import translation

from trustline.accounts.models import Organisation
from trustline.notifications.models import NotificationSetting
from trustline.partners.models import Accreditation
from trustline.routing.language import language_base


def interface_languages() -> list[str]:
    """The language codes Trustline's texts exist in (``settings.LANGUAGES``)."""
    return [code for code, _name in settings.LANGUAGES]


def email_language_of(organisation: Organisation, setting: NotificationSetting | None = None) -> str:
    """The language of e-mails to ``organisation`` (module docstring); ``setting`` saves a query when known."""
    if setting is None:
        setting = NotificationSetting.objects.filter(organisation=organisation).only("email_language").first()
    if setting is not None and setting.email_language:
        return setting.email_language
    return default_email_language(organisation)


def default_email_language(organisation: Organisation) -> str:
    """Steps 2 and 3 of the module docstring: what "automatic" means for ``organisation``."""
    spoken = interface_languages()
    covered = Accreditation.objects.filter(organisation=organisation).values_list("languages", flat=True).first()
    for tag in covered or []:
        base = language_base(str(tag))
        if base in spoken:
            return base
    return str(settings.LANGUAGE_CODE)


@contextlib.contextmanager
def in_language_of(organisation: Organisation) -> Iterator[str]:
    """Compose inside this block: ``gettext`` and lazy labels speak the organisation's language."""
    language = email_language_of(organisation)
    with translation.override(language):
        yield language
