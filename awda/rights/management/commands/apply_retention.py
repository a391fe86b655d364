from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from awda.rights.management.commands.subject_access import operator
from awda.rights.retention import retention_apply, retention_plan


class Command(BaseCommand):
    help = (
        "Anonymise what the active retention rules say has been kept long enough, each "
        "record in its own transaction, audited. Schedule it nightly; run it with "
        "--dry-run first: it lists what each rule would anonymise (numbers only) and "
        "writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be anonymised; write nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        plans = retention_plan()
        for plan in plans:
            rule = plan.rule
            ids = " ".join(f"{t.kind}#{t.id}" for t in plan.targets) or "-"
            self.stdout.write(
                f"rule #{rule.pk} {rule.organisation.slug} {rule.record_type} "
                f"after {rule.after_months} months (before {plan.cutoff.isoformat()}): "
                f"{len(plan.targets)} records, {plan.people} people: {ids}"
            )
        if not plans:
            self.stdout.write("No active retention rule.")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
            return
        results = retention_apply(plans, operator=operator())
        anonymised = sum(r.anonymised for r in results)
        failed = [f"rule #{r.rule}: {r.failed}" for r in results if r.failed]
        self.stdout.write(f"Anonymised {anonymised} records.")
        if failed:
            self.stderr.write("Not anonymised (changed meanwhile; run again): " + "; ".join(failed))
