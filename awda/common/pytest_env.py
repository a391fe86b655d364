"""Loaded by pytest before Django (see `addopts` in pyproject.toml): the environment a
test run needs, so that `pytest` works in a plain checkout. Never imported by the app."""

from __future__ import annotations

import os
import secrets
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-" + secrets.token_urlsafe(40))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("AWDA_HTTPS", "0")
if "AWDA_ENCRYPTION_KEYS" not in os.environ:
    from cryptography.fernet import Fernet

    os.environ["AWDA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
if "AWDA_VAR_DIR" not in os.environ:
    os.environ["AWDA_VAR_DIR"] = tempfile.mkdtemp(prefix="awda-test-var-")
os.makedirs(os.path.join(os.environ["AWDA_VAR_DIR"], "static"), exist_ok=True)
