from django.urls import URLPattern, URLResolver, path

from trustline.transparency import views

app_name = "transparency"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("flaggers/", views.flaggers, name="flaggers"),
]
