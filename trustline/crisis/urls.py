from django.urls import URLPattern, URLResolver, path

from trustline.crisis import views

app_name = "crisis"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.crisis_index, name="index"),
    path("<uuid:crisis_id>", views.crisis_detail, name="detail"),
    path("<uuid:crisis_id>/end", views.crisis_end_view, name="end"),
]
