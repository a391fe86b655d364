"""Records of the return that people edit carry a version: a change made on a version
someone else has changed since is refused, not written over theirs."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from awda.conftest import logged_in, make_user, place, register
from awda.registry.services import EditConflict
from awda.returns import services
from awda.returns.models import Centre, CentreStay, ChecklistItem


@pytest.fixture
def coordinator(org_a):
    return make_user("rita", org_a, "returns")


@pytest.fixture
def stay(coordinator, caseworker) -> CentreStay:
    household = register(caseworker, reference="I-1")
    centre = Centre.objects.create(
        name_ar="مركز", name_en="Centre", place=place("IQG15Q05N01"), capacity=100
    )
    return CentreStay.objects.create(
        household=household, centre=centre, entered_on=timezone.localdate(), recorded_by=coordinator
    )


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_programmes_ticked_on_a_stale_page_do_not_undo_anothers(stay, coordinator):
    client = _english(logged_in(coordinator))
    page = client.get(f"/returns/households/{stay.household_id}/").content.decode()
    assert 'name="version" value="1"' in page
    services.centre_stay_update(
        by=coordinator, stay=stay, programmes=["health"], expected_version=1
    )

    response = client.post(
        f"/returns/households/{stay.household_id}/stay/programmes/",
        {"programmes": ["education"], "version": 1},
        follow=True,
    )

    assert "Someone else changed the programmes meanwhile" in response.content.decode()
    stay.refresh_from_db()
    assert (stay.programmes, stay.version) == (["health"], 2)

    client.post(
        f"/returns/households/{stay.household_id}/stay/programmes/",
        {"programmes": ["education", "health"], "version": 2},
    )
    stay.refresh_from_db()
    assert (stay.programmes, stay.version) == (["education", "health"], 3)


@pytest.mark.django_db
def test_the_programmes_service_refuses_a_stale_version(stay, coordinator):
    services.centre_stay_update(by=coordinator, stay=stay, programmes=["health"])
    with pytest.raises(EditConflict):
        services.centre_stay_update(
            by=coordinator, stay=stay, programmes=["education"], expected_version=1
        )
    stay.refresh_from_db()
    assert stay.programmes == ["health"]


ITEM = {
    "pathway": "third_country",
    "code": "embassy_interview",
    "rule": "manual",
    "label_ar": "مقابلة السفارة",
    "label_en": "Embassy interview held",
    "position": "50",
    "is_active": "on",
}


@pytest.mark.django_db
def test_a_checklist_item_changed_meanwhile_is_not_overwritten(org_a):
    admin = make_user("adam", org_a, "admin")
    other = make_user("aya", org_a, "admin")
    client = _english(logged_in(admin))
    assert client.post("/returns/checklists/", ITEM).status_code == 302
    item = ChecklistItem.objects.get(code="embassy_interview")
    page = client.get(f"/returns/checklists/?item={item.pk}").content.decode()
    assert 'name="version" value="1"' in page
    services.checklist_item_save(
        by=other,
        **ITEM | {"label_en": "Interview at the embassy", "position": 50, "is_active": True},
        expected_version=1,
    )

    stale = client.post(
        f"/returns/checklists/?item={item.pk}", ITEM | {"position": "10", "version": "1"}
    )

    assert stale.status_code == 200
    assert "Someone else saved this item meanwhile" in stale.content.decode()
    item.refresh_from_db()
    assert (item.label_en, item.position, item.version) == ("Interview at the embassy", 50, 2)
    fresh = client.post(
        f"/returns/checklists/?item={item.pk}",
        ITEM | {"label_en": item.label_en, "position": "10", "version": "2"},
    )
    assert fresh.status_code == 302
    item.refresh_from_db()
    assert (item.label_en, item.position, item.version) == ("Interview at the embassy", 10, 3)


@pytest.mark.django_db
def test_adding_an_item_whose_code_exists_changes_nothing(org_a):
    admin = make_user("adam", org_a, "admin")
    client = _english(logged_in(admin))
    assert client.post("/returns/checklists/", ITEM).status_code == 302

    again = client.post("/returns/checklists/", ITEM | {"label_en": "Mine", "version": "0"})

    assert again.status_code == 200
    assert "has an item with this code already" in again.content.decode()
    assert ChecklistItem.objects.get(code="embassy_interview").label_en == "Embassy interview held"
