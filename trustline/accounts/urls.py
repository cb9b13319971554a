from __future__ import annotations

from django.urls import path

from trustline.accounts import views

app_name = "accounts"

urlpatterns = [
    path("keys/", views.apikey_list, name="apikey_list"),
    path("keys/<int:key_id>/revoke/", views.apikey_revoke, name="apikey_revoke"),
]
