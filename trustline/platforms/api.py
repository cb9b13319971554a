"""Staff API of the platform connector: what the platform knows about an item, and enforcement actions.

Partners (and anyone without ``case.view``) get 404 on every operation, as
for an id that does not exist. Confirming a manual action also needs
``enforcement.apply`` (reviewers, escalation leads, administrators): other
staff get 403. So does retrying a failed action now.

Content snapshots (``snapshots``): staff list them; what a snapshot
preserved (the platform's description) is shown only to people who may see
evidence, and only they may take one (auditors: 403).
"""

from typing import Any

from ninja import Router, Status

from trustline.core.types import ApiRequest
from trustline.platforms.choices import ActionStatus
from trustline.platforms.models import ContentSnapshot, EnforcementActionRecord
from trustline.platforms.schemas import ActionRecordOut, ConfirmIn, ContentDescriptionOut, SnapshotOut
from trustline.platforms.selectors import (
    action_get,
    actions_for_case,
    item_describe,
    may_read_snapshot,
    snapshots_for_case,
)
from trustline.platforms.services import action_ask_again, action_confirm, action_retry
from trustline.platforms.snapshots import snapshot_take

router = Router(tags=["platform"])


def action_out(record: EnforcementActionRecord) -> dict[str, Any]:
    message = record.outbox_message
    return {
        "id": record.id,
        "case_id": record.case_id,
        "item_id": record.item_id,
        "decision_id": record.decision_id,
        "action_type": record.action_type,
        "target": {"url": record.target_url, "platform_id": record.target_platform_id, "kind": record.target_kind},
        "territorial_scope": list(record.territorial_scope),
        "label": record.label,
        "policy_code": record.policy_code,
        "status": record.status,
        "connector": record.connector,
        "reference": record.reference,
        "result_message": record.result_message,
        "delivery_status": message.status if message is not None else None,
        "requested_by": record.requested_by,
        "requested_at": record.requested_at,
        "completed_at": record.completed_at,
        "confirmed_at": record.confirmed_at,
        "confirmed_by": record.confirmed_by,
        "attempts": record.attempts,
        "next_attempt_at": record.next_attempt_at,
        "retries_exhausted": record.status == ActionStatus.FAILED and record.next_attempt_at is None,
        "verification": record.verification,
        "verify_due_at": record.verify_due_at,
        "verified_at": record.verified_at,
        "verification_snapshot_id": record.verification_snapshot_id,
    }


@router.get(
    "/items/{item_id}/describe",
    response=ContentDescriptionOut,
    summary="What the platform knows about a reported item (text, author, reach, media, still online)",
    description=(
        "Asked of the platform connector in force at the time of the request; `fetched_at` says when. "
        "When the platform cannot answer, `available` is false and `error` says why (still 200)."
    ),
)
def describe_item(request: ApiRequest, item_id: str) -> dict[str, Any]:
    return item_describe(actor=request.auth, item_id=item_id).as_dict()


@router.get(
    "/cases/{case_id}/actions",
    response=list[ActionRecordOut],
    summary="The enforcement actions requested for a case, oldest first",
)
def list_case_actions(request: ApiRequest, case_id: str) -> list[dict[str, Any]]:
    return [action_out(record) for record in actions_for_case(actor=request.auth, case_id=case_id)]


@router.get("/actions/{action_id}", response=ActionRecordOut, summary="One enforcement action and its status")
def get_action(request: ApiRequest, action_id: str) -> dict[str, Any]:
    return action_out(action_get(actor=request.auth, action_record_id=action_id))


@router.post(
    "/actions/{action_id}/confirm",
    response=ActionRecordOut,
    summary="Confirm that an action was carried out in the platform's own tools (reviewers, escalation leads)",
    description=(
        "For actions the connector could not carry out itself (`pending_confirmation`) or sent without an "
        "answer (`queued`): records the platform's reference, marks the action done and audits it. Confirming "
        "again with the same reference returns the action unchanged; anything else on a done or failed action "
        "is 409."
    ),
)
def confirm_action(request: ApiRequest, action_id: str, payload: ConfirmIn) -> dict[str, Any]:
    record = action_confirm(actor=request.auth, action_record_id=action_id, reference=payload.reference)
    return action_out(action_get(actor=request.auth, action_record_id=record.pk))


@router.post(
    "/actions/{action_id}/retry",
    response=ActionRecordOut,
    summary="Retry a failed enforcement action now (reviewers, escalation leads)",
    description=(
        "Calls the platform again at once with the action's own idempotency key (the platform acts once), "
        "for a `failed` action (waiting for its next automatic retry, or out of attempts: "
        "`retries_exhausted`) or one stuck in `requested` past the grace period. Returns the action with the "
        "new outcome; 409 `not_retryable` for an action that is done, waiting for a confirmation, or being "
        "carried out right now."
    ),
)
def retry_action(request: ApiRequest, action_id: str) -> dict[str, Any]:
    record = action_retry(actor=request.auth, action_record_id=action_id)
    return action_out(action_get(actor=request.auth, action_record_id=record.pk))


@router.post(
    "/actions/{action_id}/again",
    response={201: ActionRecordOut},
    summary="Ask the platform again for an action its check found had not taken effect (reviewers, leads)",
    description=(
        "For a `remove` or `suspend_account` whose check found the content still online "
        "(`verification: still_online`), or a `reinstate` whose check found it still offline "
        "(`still_offline`): the same action as a new request, key `<key>:again`, checked again "
        "in its turn. Asking twice returns the same new action. 409 `not_in_effect` for any other action."
    ),
)
def ask_again(request: ApiRequest, action_id: str) -> Status[dict[str, Any]]:
    record = action_ask_again(actor=request.auth, action_record_id=action_id)
    return Status(201, action_out(action_get(actor=request.auth, action_record_id=record.pk)))


def snapshot_out(snapshot: ContentSnapshot, *, readable: bool) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "case_id": snapshot.case_id,
        "taken_at": snapshot.taken_at,
        "trigger": snapshot.trigger,
        "requested_by": snapshot.requested_by,
        "source": snapshot.source,
        "available": snapshot.available,
        "error": snapshot.error,
        "online": snapshot.online,
        "views": snapshot.views,
        "shares": snapshot.shares,
        "sha256": snapshot.sha256,
        "unchanged_until": snapshot.unchanged_until,
        "purged_at": snapshot.purged_at,
        "description": snapshot.payload if readable and snapshot.payload else None,
    }


@router.get(
    "/cases/{case_id}/snapshots",
    response=list[SnapshotOut],
    summary="What the platform said about a case's content over time, preserved (oldest first)",
    description=(
        "Taken when the case is triaged, every few hours while a severe case is open, after an unanswered "
        "attempt, and when a reviewer asks. `description` is null for auditors and after retention."
    ),
)
def list_case_snapshots(request: ApiRequest, case_id: str) -> list[dict[str, Any]]:
    readable = may_read_snapshot(request.auth)
    return [snapshot_out(s, readable=readable) for s in snapshots_for_case(actor=request.auth, case_id=case_id)]


@router.post(
    "/cases/{case_id}/snapshots",
    response={201: SnapshotOut},
    summary="Preserve what the platform shows of a case's content now (staff who may see evidence)",
    description=(
        "Asks the platform connector at once and stores its answer with its SHA-256, also when the platform "
        "does not answer (`available` false). 409 `snapshot_unavailable` when no connector can describe "
        "content (manual set-up)."
    ),
)
def take_case_snapshot(request: ApiRequest, case_id: str) -> Status[dict[str, Any]]:
    snapshot = snapshot_take(actor=request.auth, case_id=case_id)
    return Status(201, snapshot_out(snapshot, readable=True))
