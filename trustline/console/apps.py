from typing import Any

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "trustline.console"
    label = "console"
    verbose_name = "Reviewer console and programme dashboards (web UI)"

    def ready(self) -> None:
        """The Django admin's own password-only sign-in page would bypass two-factor: send it to ours."""
        from django.contrib import admin
        from django.http import HttpRequest, HttpResponseRedirect
        from django.urls import reverse
        from django.utils.http import urlencode

        def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponseRedirect:
            return HttpResponseRedirect(
                f"{reverse('login')}?{urlencode({'next': request.GET.get('next') or reverse('admin:index')})}"
            )

        admin.site.login = admin_login  # type: ignore[method-assign]  # the one sign-in page, with TOTP
