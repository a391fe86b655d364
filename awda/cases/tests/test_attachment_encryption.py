"""Attachment titles are encrypted at rest like the files they name, shown on the case
page, never in the object's name (which logs and error pages print), and the migration
that encrypts them works both ways on a filled table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from awda.cases.models import Attachment
from awda.cases.services import attachment_add, case_open
from awda.common import crypto
from awda.conftest import logged_in

TITLE = "تقرير طبي: إصابة بشظية"
PDF = b"%PDF-1.4\n% synthetic test document\n%%EOF\n"
BEFORE = ("cases", "0012_encrypt_notes_referrals_and_assessments")


def raw_title(pk: int) -> str:
    """The column as the database holds it, past the field's decryption."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM cases_attachment WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def migrate(target: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(target)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db
def test_the_title_is_ciphertext_shown_on_the_case_page_and_not_in_the_objects_name(
    caseworker, household
):
    case = case_open(by=caseworker, household=household)
    attachment = attachment_add(by=caseworker, case=case, title=TITLE, content=PDF)
    stored = raw_title(attachment.pk)
    assert stored.startswith("gAAAAA") and crypto.decrypt(stored.encode()).decode() == TITLE
    assert Attachment.objects.get(pk=attachment.pk).title == TITLE
    assert TITLE not in str(attachment) and TITLE not in repr(attachment)
    page = logged_in(caseworker).get(f"/cases/{case.pk}/").content.decode()
    assert TITLE in page


def test_the_migration_encrypts_a_filled_table_and_back(transactional_db, caseworker, household):
    case = case_open(by=caseworker, household=household)
    longest = "ت" * 200  # titles are cut to 200 characters: they fit the column going back
    first = attachment_add(by=caseworker, case=case, title=TITLE, content=PDF)
    second = attachment_add(by=caseworker, case=case, title=longest, content=PDF)
    try:
        migrate([BEFORE])
        assert (raw_title(first.pk), raw_title(second.pk)) == (TITLE, longest)

        migrate(latest())
        assert raw_title(first.pk).startswith("gAAAAA")
        assert raw_title(second.pk).startswith("gAAAAA")
        assert Attachment.objects.get(pk=first.pk).title == TITLE
        assert Attachment.objects.get(pk=second.pk).title == longest
    finally:
        migrate(latest())
