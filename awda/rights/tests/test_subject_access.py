"""Subject access: everything held on a person, as JSON and as a PDF in Arabic, for her
own organisation's data protection officer only, recorded as an export."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from awda.audit.models import AuditEntry
from awda.conftest import logged_in
from awda.returns.tests.test_manifest import pdf_text
from awda.rights.access import subject_access_data
from awda.rights.pdf import _asset_fetcher
from awda.rights.services import subject_access_export
from awda.rights.tests.conftest import FULL_AR

SECTIONS = [
    "format",
    "version",
    "generated_at",
    "person",
    "merged_registrations",
    "memberships",
    "households",
    "cases",
    "referrals",
    "mhpss",
    "consents",
    "returns",
    "sponsorships",
    "tracing",
    "audit_trail",
]


@pytest.mark.django_db
def test_the_json_holds_everything_about_her_decrypted_with_stable_keys(subject, dpo):
    data = json.loads(subject_access_export(by=dpo, person=subject.person, fmt="json"))
    assert list(data) == SECTIONS
    person = data["person"]
    assert (person["first_name_ar"], person["date_of_birth"]) == ("زبيدة", "1985-02-03")
    assert person["documents"] == [] and person["specific_needs"] == []
    [household] = data["households"]
    assert household["reference"] == "A-ZUB"
    # Her son by number, relationship, sex and year: not by name.
    assert {"person": subject.son.pk, "relationship": "child", "sex": "M", "birth_year": 2015} in (
        household["members"]
    )
    assert "سعد" not in json.dumps(data, ensure_ascii=False)
    cases = {c["id"]: c for c in data["cases"]}
    # Her own case and her family's; not her son's own case.
    assert set(cases) == {subject.own_case.pk, subject.family_case.pk}
    own = cases[subject.own_case.pk]
    assert own["notes"][0]["text"] == "زبيدة says her brother threatens her"  # decrypted
    assert own["assessments"][0]["answers"]["story"] == f"{FULL_AR} fled in 2019"
    assert own["attachments"][0]["title"] == "Zubayda's ID"
    assert data["referrals"][0]["reason"] == "زبيدة needs a doctor"
    assert data["mhpss"]["screenings"][0]["raw_score"] == 9
    assert data["mhpss"]["sessions"][0]["notes"] == "Zubayda spoke about the camp"
    assert {c["purpose"] for c in data["consents"]} == {"registration", "tracing", "referral"}
    assert data["returns"]["movements"][0]["movement"] == "MV-1"
    assert data["returns"]["intentions"][0]["reasons"].startswith("زبيدة")
    assert data["sponsorships"][0]["sponsor_kind"] == "sheikh"
    assert "Sheikh Salim" not in json.dumps(data)  # the sponsor's name is his own
    assert data["tracing"]["requests_made"][0]["circumstances"].startswith("زبيدة")
    assert len(data["tracing"]["sought_in"]) == 1
    actions = {(e["object_type"], e["action"]) for e in data["audit_trail"]}
    assert ("registry.person", "create") in actions
    assert ("cases.casenote", "create") in actions


@pytest.mark.django_db
def test_the_export_is_audited_with_ids_only(subject, dpo):
    subject_access_export(by=dpo, person=subject.person, fmt="json")
    entry = AuditEntry.objects.filter(action="export").get()
    assert (entry.actor, entry.object_type, entry.object_id) == (
        dpo,
        "registry.person",
        str(subject.person.pk),
    )
    assert entry.details == {"subject_access": "json"}


@pytest.mark.django_db
def test_the_pdf_is_arabic_with_her_records_and_numbered_pages(subject, dpo):
    pdf = subject_access_export(by=dpo, person=subject.person, fmt="pdf")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "نسخة من البيانات الشخصية المحفوظة" in text
    assert "سري — بيانات شخصية" in text
    assert "زبيدة" in text
    assert "صفحة 1 من" in text
    for heading in ("التسجيل", "إدارة الحالات", "الدعم النفسي والاجتماعي", "سجل التدقيق"):
        assert heading in text, heading


def test_the_pdf_renderer_reads_no_file_but_the_stylesheet_and_fonts(tmp_path):
    from awda.rights.pdf import CSS_FILE

    fetcher = _asset_fetcher()
    assert b"@font-face" in fetcher.fetch(CSS_FILE.as_uri()).read()
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    for url in [
        secret.as_uri(),
        "https://example.org/font.ttf",
        CSS_FILE.with_name("models.py").as_uri(),
    ]:
        with pytest.raises(ValueError, match="may not load"):
            fetcher.fetch(url)


@pytest.mark.django_db
def test_only_her_organisations_data_protection_officer_exports(subject, caseworker, other_dpo):
    for user in (caseworker, other_dpo):
        with pytest.raises(PermissionDenied):
            subject_access_export(by=user, person=subject.person, fmt="json")
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.django_db
def test_the_page_offers_both_downloads_to_the_officer_only(
    subject, dpo, other_dpo, caseworker, supervisor, donor
):
    pk = subject.person.pk
    client = logged_in(dpo)
    page = client.get(f"/rights/persons/{pk}/")
    assert page.status_code == 200
    response = client.get(f"/rights/persons/{pk}/export.pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == f'attachment; filename="subject-access-{pk}.pdf"'
    response = client.get(f"/rights/persons/{pk}/export.json")
    assert json.loads(response.content)["person"]["id"] == pk
    for url in (f"/rights/persons/{pk}/", f"/rights/persons/{pk}/export.json"):
        assert logged_in(other_dpo).get(url).status_code == 404
        for user in (caseworker, supervisor, donor):
            assert logged_in(user).get(url).status_code == 403
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AuditEntry.objects.filter(action="export").count() == 2


@pytest.mark.django_db
def test_the_command_writes_both_files_for_the_owner_only(subject, tmp_path):
    out = tmp_path / "export"
    call_command("subject_access", str(subject.person.pk), "--output", str(out))
    for fmt in ("json", "pdf"):
        path = Path(out / f"subject-access-{subject.person.pk}.{fmt}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads((out / f"subject-access-{subject.person.pk}.json").read_text())
    assert data == {**subject_access_data(subject.person), "generated_at": data["generated_at"],
                    "audit_trail": data["audit_trail"]}  # fmt: skip
    entries = AuditEntry.objects.filter(action="export", actor__isnull=True)
    assert [e.details["subject_access"] for e in entries] == ["json", "pdf"]
    assert all("operator" in e.details for e in entries)
