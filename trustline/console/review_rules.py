"""Second-review rule pages: the list of rules and one edit page per kind (create when it has no row yet).

Thin, like every console view: reads through review's selectors
(``second_review_rules_for``, which answers ``NotFound`` to anyone without
``second_review_rule.manage``, so other staff and partners get 404 as on the
console's other pages), every save through ``review.services.second_review_rule_set``
(checked, audited in the same transaction), the same service the Django admin
uses. The form is review's shared ``SecondReviewRuleForm``, so both refuse
exactly the same parameters; a problem the service still finds comes back
onto its field.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trustline.accounts.permissions import Actor
from trustline.console.views import console_view
from trustline.core.exceptions import ValidationFailed
from trustline.core.forms import errors_onto
from trustline.review.forms import SecondReviewRuleForm
from trustline.review.selectors import second_review_rule_row, second_review_rules_for
from trustline.review.services import second_review_rule_set


@require_GET
@console_view
def rule_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every kind of rule: whether it is on, its parameters, when it last changed."""
    return render(request, "console/second_review_rules.html", {"rows": second_review_rules_for(actor=actor)})


@require_http_methods(["GET", "POST"])
@console_view
def rule_edit(request: HttpRequest, actor: Actor, kind: str) -> HttpResponse:
    """Change one kind's rule, or create it; errors come back on the page (400) and nothing is saved."""
    row = second_review_rule_row(actor=actor, kind=kind)
    status = 200
    if request.method == "POST":
        form = SecondReviewRuleForm(request.POST, instance=row.rule, kind=row.kind)
        if form.is_valid():
            try:
                second_review_rule_set(actor=actor, **form.data_for_service())
            except ValidationFailed as exc:
                errors_onto(form, exc)
            else:
                messages.success(request, _("Rule saved. Decisions already waiting for a second review keep "
                                            "waiting; new decisions follow the rule as it is now."))
                return redirect("console:second_review_rules")
        status = 400
    else:
        form = SecondReviewRuleForm(instance=row.rule, kind=row.kind)
    return render(request, "console/second_review_rule_form.html", {"form": form, "row": row}, status=status)
