"""API keys: partner admins manage their organisation's keys, programme staff any partner's."""


from types import SimpleNamespace
from typing import Any

from ninja import Router, Status

from trustline.accounts.models import Organisation
from trustline.accounts.schemas import ApiKeyIn, ApiKeyOut, NewApiKeyOut
from trustline.accounts.selectors import apikey_get, apikey_list
from trustline.accounts.services import apikey_create, apikey_revoke, require_key_manager
from trustline.core.exceptions import NotFound
from trustline.core.types import ApiRequest

router = Router(tags=["api keys"])


@router.get("", response=list[ApiKeyOut], summary="API keys you may manage")
def list_keys(request: ApiRequest) -> Any:
    require_key_manager(request.auth)
    return list(apikey_list(actor=request.auth))


@router.post("", response={201: NewApiKeyOut}, summary="Create an API key (the key is shown once)")
def create_key(request: ApiRequest, payload: ApiKeyIn) -> Status[SimpleNamespace]:
    actor = request.auth
    require_key_manager(actor)
    organisation = actor.organisation
    if payload.organisation and (organisation is None or payload.organisation != organisation.slug):
        organisation = Organisation.objects.filter(slug=payload.organisation).first()
    if organisation is None:
        raise NotFound("Organisation not found.")
    new = apikey_create(actor=actor, organisation=organisation, name=payload.name)
    # An object, not a dict: the output schema resolves ``organisation`` from the model attribute.
    fields = {**ApiKeyOut.from_orm(new.key).model_dump(), "organisation": new.key.organisation, "key": new.raw}
    return Status(201, SimpleNamespace(**fields))


@router.post("/{key_id}/revoke", response=ApiKeyOut, summary="Revoke an API key")
def revoke_key(request: ApiRequest, key_id: int) -> Any:
    require_key_manager(request.auth)
    return apikey_revoke(actor=request.auth, key=apikey_get(actor=request.auth, key_id=key_id))
