from django.urls import URLPattern, URLResolver, path

from trustline.metrics import views

app_name = "metrics"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.metrics_page, name="page"),
    path("workload/", views.workload_page, name="workload"),
]
