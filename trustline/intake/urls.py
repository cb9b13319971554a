from __future__ import annotations

from django.urls import path

from trustline.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.home, name="home"),
    path("portal/reports/", views.report_list, name="report_list"),
    path("portal/reports/new/", views.report_new, name="report_new"),
    path("portal/reports/bulk/", views.bulk_upload, name="bulk_upload"),
    path("portal/reports/bulk/template.csv", views.bulk_template, name="bulk_template"),
    path("portal/reports/<uuid:report_id>/", views.report_detail, name="report_detail"),
    path("portal/reports/<uuid:report_id>/evidence/", views.evidence_add, name="evidence_add"),
    path("portal/reports/<uuid:report_id>/evidence/<uuid:evidence_id>/", views.evidence_download,
         name="evidence_download"),
    path("portal/reports/<uuid:report_id>/evidence/<uuid:evidence_id>/preview.jpg", views.evidence_preview_image,
         name="evidence_preview"),
    path("portal/reports/<uuid:report_id>/evidence/<uuid:evidence_id>/excerpt/", views.evidence_excerpt_text,
         name="evidence_excerpt"),
]
