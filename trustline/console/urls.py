from django.urls import URLPattern, URLResolver, path

from trustline.console import dashboards, portal, review_rules, twofactor, views

app_name = "console"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("next/", views.next_case, name="next_case"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case"),
    path("cases/<uuid:case_id>/decide/", views.decide, name="decide"),
    path("cases/<uuid:case_id>/release/", views.release, name="release"),
    path("cases/<uuid:case_id>/actions/<uuid:action_id>/retry/", views.retry_action, name="retry_action"),
    path("cases/<uuid:case_id>/snapshots/", views.take_snapshot, name="take_snapshot"),
    path("cases/<uuid:case_id>/actions/<uuid:action_id>/again/", views.ask_again, name="ask_again"),
    path("second-review/", views.second_review, name="second_review"),
    path("second-review/<uuid:decision_id>/<str:verdict>/", views.second_review_act, name="second_review_act"),
    # Second-review rules (review policy; second_review_rule.manage)
    path("second-review/rules/", review_rules.rule_list, name="second_review_rules"),
    path("second-review/rules/<str:kind>/", review_rules.rule_edit, name="second_review_rule"),
    path("leave", views.leave, name="leave"),
    path("viewing/", views.viewing, name="viewing"),
    # Two-factor sign-in (the password step is trustline.urls' "login", served by twofactor.sign_in)
    path("2fa/verify/", twofactor.verify, name="two_factor_verify"),
    path("2fa/enrol/", twofactor.enrol, name="two_factor_enrol"),
    path("security/", twofactor.security, name="security"),
    # Programme dashboards
    path("dashboards/", dashboards.overview, name="dashboards"),
    path("dashboards/<str:chart>.csv", dashboards.chart_csv, name="dashboard_csv"),
    # Partner portal pages not covered elsewhere
    path("portal/information-requests/", portal.information_requests, name="information_requests"),
    path("portal/information-requests/<uuid:request_id>/", portal.information_request_answer,
         name="information_request_answer"),
    path("portal/decisions/<uuid:decision_id>/contest/", portal.contest, name="contest"),
    path("portal/notifications/", portal.notification_settings, name="notification_settings"),
    path("portal/figures/", portal.figures, name="figures"),
]
