from django.urls import URLPattern, URLResolver, path

from trustline.lawenforcement import directory_views, views

app_name = "lawenforcement"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.request_list, name="requests"),
    path("contact/", views.public, name="public"),
    path("directory/", views.directory_page, name="directory"),
    path("directory/new", directory_views.agency_edit, name="agency_new"),
    path("directory/<uuid:agency_id>", views.agency_page, name="agency"),
    path("directory/<uuid:agency_id>/edit", directory_views.agency_edit, name="agency_edit"),
    path("directory/<uuid:agency_id>/status", directory_views.agency_status, name="agency_status"),
    path("directory/<uuid:agency_id>/contacts/new", directory_views.contact_new, name="contact_new"),
    path("contacts/<uuid:contact_id>/edit", directory_views.contact_edit, name="contact_edit"),
    path("contacts/<uuid:contact_id>/verify", views.contact_verify, name="contact_verify"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<uuid:request_id>", views.request_detail, name="request_detail"),
    path("requests/<uuid:request_id>/<slug:action>", views.request_action, name="request_action"),
    path("holds/", views.hold_list, name="holds"),
    path("holds/<uuid:hold_id>/<slug:action>", views.hold_action, name="hold_action"),
    path("ncmec/", views.ncmec_list, name="ncmec"),
    path("ncmec/<uuid:report_id>/submit", views.ncmec_submit, name="ncmec_submit"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/new", views.referral_new, name="referral_new"),
    path("referrals/<uuid:referral_id>", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/<slug:action>", views.referral_action, name="referral_action"),
]
