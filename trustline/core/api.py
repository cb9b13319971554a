from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["meta"])


class PingOut(Schema):
    ok: bool


@router.get("/ping", response=PingOut, auth=None, summary="A trivial endpoint: the server's ceiling in benchmarks")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}
