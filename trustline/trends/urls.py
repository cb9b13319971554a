from django.urls import URLPattern, URLResolver, path

from trustline.trends import views

app_name = "trends"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("spikes/", views.spike_list_view, name="spike_list"),
    path("spikes/<uuid:spike_id>/", views.spike_detail, name="spike_detail"),
    path("incidents/", views.incident_list_view, name="incident_list"),
    path("incidents/<uuid:incident_id>/", views.incident_detail, name="incident_detail"),
    path("insight/", views.insight, name="insight"),
]
