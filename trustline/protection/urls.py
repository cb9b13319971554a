from django.urls import URLPattern, URLResolver, path

from trustline.protection import views

app_name = "protection"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.protection_index, name="index"),
    path("nominations/<uuid:nomination_id>/decide", views.decide_view, name="decide"),
    path("nominations/<uuid:nomination_id>/renew", views.renew_view, name="renew"),
]
