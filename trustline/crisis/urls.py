from django.urls import URLPattern, URLResolver

app_name = "crisis"

urlpatterns: list[URLPattern | URLResolver] = []
