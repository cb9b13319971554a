from django.urls import URLPattern, URLResolver

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = []
