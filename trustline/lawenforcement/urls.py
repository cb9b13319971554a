from django.urls import URLPattern, URLResolver

app_name = "lawenforcement"

urlpatterns: list[URLPattern | URLResolver] = []
