from django.urls import URLPattern, URLResolver, path

from trustline.signals import views

app_name = "signals"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.signals_index, name="index"),
    path("<uuid:signal_id>/withdraw", views.withdraw, name="withdraw"),
    path("cases/<uuid:case_id>/share", views.share_case, name="share_case"),
    path("agreements/<slug:peer_slug>/", views.agreement_edit, name="agreement"),
]
