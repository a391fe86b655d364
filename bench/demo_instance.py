"""A throwaway Awda for a benchmark: a new var directory with its own SQLite database,
migrated, with the places, the return centres and the demo programme loaded. The
benchmarks import it before anything of Django's (it configures the settings)."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path


def demo_instance(prefix: str, *, households: int, static: bool = False) -> Path:
    """Set up Django on a new instance and load `households` demo households; the var
    directory. `static` collects the static files (for benchmarks that render pages)."""
    var = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "awda.settings",
            "AWDA_DEMO": "1",
            "AWDA_VAR_DIR": var,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "testserver",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from awda.demo.generate import load_demo
    from awda.places.services import load_built_in
    from awda.registry.models import Household, Person
    from awda.returns.services import centres_load

    call_command("migrate", verbosity=0)
    if static:
        call_command("collectstatic", "--noinput", verbosity=0)
    load_built_in()
    centres_load()
    started = time.perf_counter()
    load_demo(households=households, password=secrets.token_urlsafe(16))
    print(
        f"demo programme: {Household.objects.count():,} households, "
        f"{Person.objects.count():,} people, loaded in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return Path(var)
