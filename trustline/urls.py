from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from trustline.api import api
from trustline.console import twofactor as console_twofactor
from trustline.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/login/", console_twofactor.sign_in, name="login"),  # password, then TOTP (trustline.console)
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("trustline.accounts.urls")),
    path("emergency/", include("trustline.oncall.urls")),
    path("crises/", include("trustline.crisis.urls")),
    path("protection/", include("trustline.protection.urls")),
    path("metrics/", include("trustline.metrics.urls")),
    path("transparency/", include("trustline.transparency.urls")),
    path("trends/", include("trustline.trends.urls")),
    path("signals/", include("trustline.signals.urls")),
    path("law-enforcement/", include("trustline.lawenforcement.urls")),
    path("console/", include("trustline.console.urls")),
    path("", include("trustline.intake.urls")),
]
