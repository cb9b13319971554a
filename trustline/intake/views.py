from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    return redirect("intake:report_list")


report_list = report_new = bulk_upload = report_detail = evidence_download = home  # replaced by the portal views
