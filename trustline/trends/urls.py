from django.urls import URLPattern, URLResolver

app_name = "trends"

urlpatterns: list[URLPattern | URLResolver] = []
