from django.urls import URLPattern, URLResolver, path

from trustline.oncall import rota_views, views

app_name = "oncall"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("ack/<str:token>", views.ack_link, name="ack_link"),
    path("schedules/", rota_views.schedules, name="schedules"),
    path("schedules/new", rota_views.schedule_edit, name="schedule_new"),
    path("schedules/<int:schedule_id>/", rota_views.schedule_detail, name="schedule_detail"),
    path("schedules/<int:schedule_id>/edit", rota_views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:schedule_id>/delete", rota_views.schedule_delete, name="schedule_delete"),
    path("schedules/<int:schedule_id>/override", rota_views.override_new, name="override_new"),
    path("schedules/<int:schedule_id>/overrides/<int:override_id>/remove", rota_views.override_remove,
         name="override_remove"),
    path("chains/", rota_views.chains, name="chains"),
    path("chains/new", rota_views.chain_edit, name="chain_new"),
    path("chains/<int:chain_id>/", rota_views.chain_detail, name="chain_detail"),
    path("chains/<int:chain_id>/edit", rota_views.chain_edit, name="chain_edit"),
    path("chains/<int:chain_id>/delete", rota_views.chain_delete, name="chain_delete"),
    path("<uuid:emergency_id>", views.detail, name="detail"),
    path("<uuid:emergency_id>/acknowledge", views.acknowledge, name="acknowledge"),
    path("<uuid:emergency_id>/resolve", views.resolve, name="resolve"),
    path("<uuid:emergency_id>/hand-over", views.hand_over, name="hand_over"),
    path("<uuid:emergency_id>/downgrade", views.downgrade, name="downgrade"),
]
