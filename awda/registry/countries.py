"""Nationalities seen among camp residents: Syria and Iraq, and the third countries whose
nationals are held in al-Hol's annex and in Roj (ISO 3166-1 alpha-2)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NATIONALITIES = [
    ("SY", _("Syria")),
    ("IQ", _("Iraq")),
    ("AF", _("Afghanistan")),
    ("AZ", _("Azerbaijan")),
    ("BE", _("Belgium")),
    ("DE", _("Germany")),
    ("DZ", _("Algeria")),
    ("EG", _("Egypt")),
    ("FR", _("France")),
    ("GB", _("United Kingdom")),
    ("ID", _("Indonesia")),
    ("JO", _("Jordan")),
    ("KG", _("Kyrgyzstan")),
    ("KZ", _("Kazakhstan")),
    ("LB", _("Lebanon")),
    ("LY", _("Libya")),
    ("MA", _("Morocco")),
    ("NL", _("Netherlands")),
    ("PK", _("Pakistan")),
    ("RU", _("Russia")),
    ("SA", _("Saudi Arabia")),
    ("SE", _("Sweden")),
    ("TJ", _("Tajikistan")),
    ("TN", _("Tunisia")),
    ("TR", _("Türkiye")),
    ("TT", _("Trinidad and Tobago")),
    ("UA", _("Ukraine")),
    ("US", _("United States")),
    ("UZ", _("Uzbekistan")),
    ("YE", _("Yemen")),
    ("XX", _("Undetermined")),
]
