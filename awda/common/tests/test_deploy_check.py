"""`awda check --deploy` is clean with production settings: HTTPS, HSTS, secure cookies,
a real secret, allowed hosts, and an OpenAPI schema without warnings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet


def _production_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWDA_", "DJANGO_"))
        and k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="awda.example.org",
        AWDA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    return env


def test_the_deploy_check_is_clean_in_production_settings(tmp_path):
    env = _production_env() | {"AWDA_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "awda", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env() | {"AWDA_VAR_DIR": str(tmp_path)}
    del env["SECRET_KEY"]
    done = subprocess.run(
        [sys.executable, "-m", "awda", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
