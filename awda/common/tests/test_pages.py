"""Language, layout and the safety nets every page shares."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.test import Client

from awda.common.logging import RedactQueryStrings, redact
from awda.conftest import logged_in
from awda.reports.selectors import Cell, programme_totals


@pytest.mark.django_db
def test_pages_are_arabic_and_right_to_left_by_default_even_for_english_browsers(caseworker):
    client = logged_in(caseworker)
    response = client.get("/households/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "bootstrap.rtl.min.css" in page
    assert "الأسر" in page


@pytest.mark.django_db
def test_a_user_switches_to_english_and_back(caseworker):
    client = logged_in(caseworker)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/households/"})
    assert response.status_code == 302
    page = client.get("/households/").content.decode()
    assert '<html lang="en" dir="ltr">' in page and "Households" in page
    client.post("/i18n/setlang/", {"language": "kmr", "next": "/households/"})
    page = client.get("/households/").content.decode()
    assert '<html lang="kmr" dir="ltr">' in page and "Malbat" in page
    client.post("/i18n/setlang/", {"language": "ar", "next": "/households/"})
    assert 'dir="rtl"' in client.get("/households/").content.decode()


@pytest.mark.django_db
def test_pages_carry_no_inline_script(caseworker, household):
    client = logged_in(caseworker)
    for url in [
        "/households/",
        f"/households/{household.pk}/",
        "/households/new/",
        "/accounts/login/",
    ]:
        page = client.get(url).content.decode()
        assert "<script>" not in page and "onclick=" not in page and "onchange=" not in page, url
        assert 'style="' not in page and "<style" not in page, url


def test_no_template_carries_inline_script_or_style():
    """The Content-Security-Policy allows neither; a page that used one would break."""
    import re

    folder = Path(__file__).resolve().parents[2] / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", re.I)
    found = [
        f"{template.relative_to(folder)}: {match.group(0)}"
        for template in folder.rglob("*.html")
        for match in inline.finditer(template.read_text(encoding="utf-8"))
        if "application/json" not in match.group(0)  # json_script data, not script
    ]
    assert len(list(folder.rglob("*.html"))) > 40
    assert found == []


@pytest.mark.django_db
def test_security_headers(caseworker):
    response = logged_in(caseworker).get("/households/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "style-src 'self';" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.django_db
def test_a_missing_record_shows_a_page_without_details(caseworker):
    response = logged_in(caseworker).get("/households/999999/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def test_query_strings_never_reach_the_logs():
    assert (
        redact('"GET /households/?q=فاطمة HTTP/1.1" 200')
        == '"GET /households/?[redacted] HTTP/1.1" 200'
    )
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /api/v1/persons/?search=Ahmad HTTP/1.1", 200),
        None,
    )
    RedactQueryStrings().filter(record)
    assert "Ahmad" not in record.getMessage()


def test_small_counts_are_suppressed():
    assert str(Cell(3)) == "<5" and str(Cell(5)) == "5" and str(Cell(0)) == "0"


@pytest.mark.django_db
def test_the_dashboard_counts_households_without_naming_anyone(caseworker, donor):
    from awda.conftest import register

    for number in range(6):
        register(caseworker, reference=f"D-{number}")
    tables = programme_totals()
    camp_row = next(r for r in tables["camp"] if r.households.count == 6)
    assert str(camp_row.people) == "12"
    page = logged_in(donor).get("/dashboard/").content.decode()
    assert "فاطمة" not in page and "D-1" not in page


@pytest.mark.django_db
def test_the_healthcheck_answers_without_login():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_history_page_speaks_in_labels_and_place_names(caseworker, supervisor, household):
    page = logged_in(supervisor).get(f"/history/household/{household.pk}/").content.decode()
    assert "مخيم الهول (SY080006-HOL)" in page
    assert "camp_block" not in page


@pytest.mark.django_db
def test_pages_travel_compressed(caseworker, household):
    response = logged_in(caseworker).get("/households/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.django_db
def test_a_failed_task_logs_where_it_failed_but_not_what_the_data_said(caplog, caseworker):
    from awda.common.models import Task
    from awda.common.tasks import task, task_run

    @task("test.fails")
    def fails(current, progress):
        raise ValueError("Fatima Ahmad Al-Jubouri, born 1990-03-14")

    failing = Task.objects.create(kind="test.fails", created_by=caseworker)
    task_run(failing.pk)
    failing.refresh_from_db()
    assert failing.status == "failed" and failing.message == "failed: ValueError"
    logged = " ".join(r.getMessage() for r in caplog.records) + " ".join(
        str(r.exc_info) for r in caplog.records
    )
    assert "ValueError" in logged and "Fatima" not in logged and "1990" not in logged
