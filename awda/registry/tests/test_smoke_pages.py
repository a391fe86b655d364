from __future__ import annotations

from awda.conftest import logged_in


def test_household_pages_render(caseworker, household):
    client = logged_in(caseworker)
    for url in [
        "/households/",
        f"/households/{household.pk}/",
        "/households/new/",
        f"/households/{household.pk}/edit/",
        f"/persons/{household.members.first().pk}/",
        "/referrals/",
        "/dashboard/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
