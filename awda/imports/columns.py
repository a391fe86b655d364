"""The person-level registration columns: the one layout that `awda export persons`
writes, that `awda import` reads without a mapping, and whose names the registration
XLSForm uses for its questions. One row per person; the household's columns repeat on
each of its members' rows, and rows with the same `household_reference` make one
household.

Values, as written by the export and read by the import:
- places (camp, camp_section, camp_block, origin, destination): the P-code (the import
  also takes an Arabic or English name and suggests the P-code);
- sex: F / M (the import also takes ذكر / أنثى, male / female, ...);
- date_of_birth: YYYY-MM-DD, or YYYY when only the year is known; dob_precision: exact /
  year / estimated;
- relationship: the registry's codes (head, spouse, child, ...);
- nationality, household_nationality: ISO 3166 alpha-2 (SY, IQ, ...);
- documents: `kind:status` pairs joined by `;` (national_id:held;family_booklet:missing);
- needs: UNHCR specific-needs codes joined by `;` (SC;DS);
- submission_id: the id of the submission the row came from, if any (Kobo `_uuid`, ODK
  `meta/instanceID`); re-importing a submission changes nothing.
"""

from __future__ import annotations

from awda.registry.validation import ARABIC_FIELDS, LATIN_FIELDS

HOUSEHOLD_COLUMNS = (
    "household_reference",
    "camp",
    "camp_section",
    "camp_block",
    "tent",
    "origin",
    "destination",
    "household_nationality",
    "registered_on",
)
PERSON_COLUMNS = (
    "relationship",
    # first, father's, grandfather's and family name, in Arabic, then in Latin letters
    *ARABIC_FIELDS,
    *LATIN_FIELDS,
    "sex",
    "date_of_birth",
    "dob_precision",
    "nationality",
    "documents",
    "needs",
)
COLUMNS = (*HOUSEHOLD_COLUMNS, *PERSON_COLUMNS, "submission_id")
