"""Two-factor login: who needs it, the user's devices, and the one-time codes.

A user logs in with a password and then a second factor: the six-digit code of an
authenticator app (django-otp's TOTP device) or one of ten single-use recovery codes
(django-otp's static device). Recovery codes are stored as a hash only: the static device
compares the hash of what is typed with the stored ones, and deletes the one that matched.
Writes (enrolment, new codes, reset) are in `services.py`.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from awda.accounts.models import User

RECOVERY_CODE_COUNT = 10
# 16 base32 characters: 80 random bits, so that a leaked hash cannot be worked back.
RECOVERY_CODE_LENGTH = 16
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"

# Session keys: the login time (for the absolute lifetime), a login waiting for its second
# factor, and where to go once it is given.
SESSION_LOGIN_AT = "awda_login_at"
SESSION_PENDING = "awda_second_factor_pending"
SESSION_NEXT = "awda_login_next"

# Arabic-Indic and Persian digits, as an Arabic keyboard types them.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def required_for(user: User) -> bool:
    """Every role that sees personal data must give a second factor (donor viewers may).

    Only the demo can relax it (AWDA_DEMO=1 without AWDA_REQUIRE_2FA=1).
    """
    return settings.TWO_FACTOR_REQUIRED and user.sees_personal_data


def is_verified(user: object) -> bool:
    """Whether this request's session was verified with a second factor (OTPMiddleware)."""
    return getattr(user, "otp_device", None) is not None


def authenticator_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def pending_authenticator_of(user: User) -> TOTPDevice | None:
    """The authenticator being set up (shown as a QR code, not confirmed yet)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_device_of(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_code(text: str) -> str:
    """What the user typed, without spaces and dashes, in ASCII digits and lower case."""
    return "".join(text.translate(_DIGITS).split()).replace("-", "").lower()


def looks_like_totp(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) == 6


def looks_like_recovery_code(code: str) -> bool:
    return len(code) == RECOVERY_CODE_LENGTH and all(c in _BASE32 for c in code)


def new_recovery_code() -> str:
    return "".join(secrets.choice(_BASE32) for _ in range(RECOVERY_CODE_LENGTH))


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_recovery_code(code: str) -> str:
    """What is stored for a recovery code: 80 bits of its SHA-256, in base32 (16 characters,
    the width of django-otp's token column). The code itself has 80 random bits, so a plain
    hash is enough; it does not depend on SECRET_KEY, which may be rotated."""
    digest = hashlib.sha256(normalise_code(code).encode()).digest()
    return b32encode(digest).decode()[:RECOVERY_CODE_LENGTH].lower()


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for apps set up without the camera."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> bytes:
    """The otpauth:// address as an SVG QR code, with a white background and no styles."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
