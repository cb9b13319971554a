"""Clustering cases into incidents: near-duplicates in four languages, same account, same domain, increments."""

from __future__ import annotations

import uuid

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.conftest import kite_url
from trustline.core import clock
from trustline.trends.choices import IncidentKind, Signal
from trustline.trends.clustering import CURSOR, incidents_cluster_new, incidents_rebuild
from trustline.trends.models import CaseFingerprint, ClusterCursor, Incident, IncidentMember
from trustline.trends.selectors import incident_get
from trustline.trends.tests.conftest import Submit, item

NEAR_DUPLICATES = {
    "ar": (
        "يا أهل الحلفايا احرقوا بيوت الخونة قبل صلاة الفجر ولا ترحموا أحدا منهم أبدا",
        "يـا اهل الحلفايا، احرقوا بيوت الخونة قبل صلاة الفجر ولا ترحموا احداً منهم أبداً!!",
    ),
    "ur": (
        "یہ لوگ گستاخ ہیں، ان کے گھر جلا دو، کل جمعہ کے بعد سب مسجد کے باہر جمع ہوں",
        "یہ لوگ گستاخ ہیں ان کے گھر جلا دو کل جمعہ کے بعد سب مسجد کے باہر جمع ہوں #گستاخ",
    ),
    "es": (
        "Los migrantes venezolanos están robando en el barrio, hay que sacarlos a la fuerza esta noche",
        "los migrantes venezolanos estan robando en el barrio!! hay que sacarlos a la fuerza esta noche",
    ),
    "en": (
        "Everyone in Riverside must gather at the mosque tonight and drive those people out of our town for good",
        "everyone in riverside must gather at the mosque tonight & drive those people out of our town for good!!"
        " share",
    ),
}
DISTINCT = {
    "ar": "اجتماع لجان المقاومة في أم درمان مساء اليوم لتوزيع المساعدات على النازحين في المدارس",
    "ur": "آج لاہور میں بارش کا امکان ہے اور ٹریفک پولیس نے متبادل راستوں کا اعلان کیا ہے",
    "es": "El festival de cine de Bogotá anuncia su programación para el fin de semana con entrada libre",
    "en": "The city council announced new opening hours for the public library starting next month",
}


def _case(submit: Submit, user: User, url: str, excerpt: str, kind: str = "post", **overrides: object) -> str:
    return str(submit(user, items=[item(url, excerpt, kind)], **overrides).items[0].case_id)


def _clusters() -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for incident_id, case_id in IncidentMember.objects.values_list("incident_id", "case_id"):
        groups.setdefault(str(incident_id), set()).add(str(case_id))
    return {frozenset(g) for g in groups.values()}


def test_it_clusters_near_duplicates_in_several_languages_and_keeps_distinct_texts_apart(
    submit: Submit, analyst_amal: User, analyst_bilal: User,
) -> None:
    expected: set[frozenset[str]] = set()
    alone: list[str] = []
    for language, (first, second) in NEAR_DUPLICATES.items():
        a = _case(submit, analyst_amal, kite_url(), first, language=language)
        b = _case(submit, analyst_bilal, kite_url(), second, language=language, country="PK",
                  category="hateful_conduct")
        expected.add(frozenset({a, b}))
        alone.append(_case(submit, analyst_amal, kite_url(), DISTINCT[language], language=language))
    result = incidents_cluster_new()
    assert result.cases == 12 and result.incidents_created == 4
    assert _clusters() == expected
    assert not IncidentMember.objects.filter(case_id__in=alone).exists()
    for incident in Incident.objects.all():
        assert incident.member_count == 2 and incident.partner_count == 2
        assert incident.countries == ["PK", "SD"]
        assert incident.signals == {Signal.FIRST: 1, Signal.NEAR_DUPLICATE: 1}
        member = incident.members.get(signal=Signal.NEAR_DUPLICATE)
        assert member.similarity is not None and member.similarity >= 0.6
    assert {tuple(i.languages) for i in Incident.objects.all()} == {("ar",), ("ur",), ("es",), ("en",)}


def test_cases_from_the_same_account_form_an_incident(
    demo_platform: None, submit: Submit, analyst_amal: User,
) -> None:
    one = _case(submit, analyst_amal, "https://kite.example/@test.raider/posts/9100001", DISTINCT["en"])
    two = _case(submit, analyst_amal, "https://kite.example/@test.raider/posts/9100002", DISTINCT["es"])
    other = _case(submit, analyst_amal, "https://kite.example/@test.bystander/posts/9100003", DISTINCT["ar"])
    incidents_cluster_new()
    assert _clusters() == {frozenset({one, two})}
    incident = Incident.objects.get()
    assert incident.kind == IncidentKind.INCIDENT and incident.account_count == 1
    joined = incident.members.get(case_id=two)
    assert joined.signal == Signal.SAME_ACCOUNT and joined.signal_value.startswith("demo:")
    assert not IncidentMember.objects.filter(case_id=other).exists()


def test_the_same_text_from_several_accounts_is_a_campaign(
    demo_platform: None, submit: Submit, analyst_amal: User,
) -> None:
    first, second = NEAR_DUPLICATES["ar"]
    _case(submit, analyst_amal, "https://kite.example/@test.voice.one/posts/9200001", first)
    _case(submit, analyst_amal, "https://kite.example/@test.voice.two/posts/9200002", second)
    _case(submit, analyst_amal, "https://kite.example/@test.voice.three/posts/9200003", first)
    incidents_cluster_new()
    incident = Incident.objects.get()
    assert incident.kind == IncidentKind.CAMPAIGN
    assert (incident.member_count, incident.account_count) == (3, 3)
    assert incident.title.startswith("Campaign")


def test_items_on_the_same_site_or_linking_to_it_share_an_incident_but_the_platform_is_no_site(
    submit: Submit, analyst_amal: User,
) -> None:
    one = _case(submit, analyst_amal, "https://rumour-mill.example/articles/1", DISTINCT["en"], kind="other")
    two = _case(submit, analyst_amal, "https://www.rumour-mill.example/articles/2", "", kind="other")
    three = _case(submit, analyst_amal, kite_url(), f"{DISTINCT['es']} https://rumour-mill.example/x?id=3")
    apart = [_case(submit, analyst_amal, kite_url(), DISTINCT["ar"]),
             _case(submit, analyst_amal, kite_url(), DISTINCT["ur"])]
    shortened = [_case(submit, analyst_amal, kite_url(), "see https://bit.ly/abc and decide yourselves people"),
                 _case(submit, analyst_amal, kite_url(), "all of it is here https://bit.ly/xyz read it all")]
    incidents_cluster_new()
    assert _clusters() == {frozenset({one, two, three})}
    assert set(Incident.objects.get().members.exclude(signal=Signal.FIRST).values_list("signal_value", flat=True)) == {
        "rumour-mill.example"
    }
    assert not IncidentMember.objects.filter(case_id__in=apart + shortened).exists()


def test_new_cases_join_existing_incidents_and_bridge_two_of_them(
    submit: Submit, analyst_amal: User,
) -> None:
    first, second = NEAR_DUPLICATES["en"]
    a1 = _case(submit, analyst_amal, kite_url(), first)
    a2 = _case(submit, analyst_amal, kite_url(), second)
    b1 = _case(submit, analyst_amal, "https://rumour-mill.example/a", DISTINCT["es"], kind="other")
    b2 = _case(submit, analyst_amal, "https://rumour-mill.example/b", DISTINCT["ar"], kind="other")
    incidents_cluster_new()
    assert _clusters() == {frozenset({a1, a2}), frozenset({b1, b2})}
    older = Incident.objects.order_by("id").first()
    assert incidents_cluster_new().cases == 0  # the cursor moved on: nothing to redo

    bridge = _case(submit, analyst_amal, kite_url(), f"{first} https://rumour-mill.example/c")
    result = incidents_cluster_new()
    assert result.cases == 1 and result.incidents_merged == 1
    assert _clusters() == {frozenset({a1, a2, b1, b2, bridge})}
    live = Incident.objects.get(merged_into__isnull=True)
    assert live == older and live.member_count == 5
    absorbed = Incident.objects.get(merged_into=live)
    assert absorbed.member_count == 0
    assert incident_get(actor=SYSTEM, incident_id=absorbed.pk) == live  # old links lead to the survivor
    assert AuditEntry.objects.filter(action="incident.merged").count() == 1
    assert AuditEntry.objects.filter(action="incident.members_added", target_id=str(live.pk)).exists()


def test_rebuild_gives_the_same_clusters(submit: Submit, analyst_amal: User) -> None:
    for first, second in NEAR_DUPLICATES.values():
        _case(submit, analyst_amal, kite_url(), first)
        _case(submit, analyst_amal, kite_url(), second)
    incidents_cluster_new(batch_size=3)
    incidents_cluster_new(batch_size=3)
    incidents_cluster_new(batch_size=3)
    before = _clusters()
    assert len(before) == 4
    result = incidents_rebuild(batch_size=5)
    assert result.cases == 8
    assert _clusters() == before
    assert CaseFingerprint.objects.count() == 8
    assert AuditEntry.objects.filter(action="incidents.rebuilt").count() == 1


@pytest.mark.parametrize("text", ["kill them all", "", "https://kite.example/x"])
def test_short_texts_join_nothing(submit: Submit, analyst_amal: User, text: str) -> None:
    _case(submit, analyst_amal, kite_url(), text)
    _case(submit, analyst_amal, kite_url(), text)
    incidents_cluster_new()
    assert not Incident.objects.exists()


def test_a_case_committed_late_behind_the_cursor_is_still_clustered(submit: Submit, analyst_amal: User) -> None:
    """The cursor is a UUIDv7; a case whose id is up to an hour older than it is still picked up."""
    first, second = NEAR_DUPLICATES["ur"]
    a = _case(submit, analyst_amal, kite_url(), first)
    incidents_cluster_new()
    # Another process's later case already moved the cursor 30 minutes past the next case's id.
    ahead = uuid.UUID(int=(((uuid.UUID(a).int >> 80) + 30 * 60 * 1000) << 80) | (7 << 76))
    ClusterCursor.objects.filter(name=CURSOR).update(last_case_id=ahead, updated_at=clock.now())
    b = _case(submit, analyst_amal, kite_url(), second)
    assert incidents_cluster_new().cases == 1
    assert _clusters() == {frozenset({a, b})}
