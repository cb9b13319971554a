from django.urls import URLPattern, URLResolver, path

from trustline.oncall import views

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("ack/<str:token>", views.ack_link, name="ack_link"),
    path("<uuid:emergency_id>", views.detail, name="detail"),
    path("<uuid:emergency_id>/acknowledge", views.acknowledge, name="acknowledge"),
    path("<uuid:emergency_id>/resolve", views.resolve, name="resolve"),
    path("<uuid:emergency_id>/hand-over", views.hand_over, name="hand_over"),
    path("<uuid:emergency_id>/downgrade", views.downgrade, name="downgrade"),
]
