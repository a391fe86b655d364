from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    """A P-coded administrative unit, or a camp and its sections and blocks.

    `level` is the depth in the tree: 1 governorate, 2 district, 3 sub-district,
    4 community or camp, 5 camp section (al-Hol's phases), 6 camp block.
    """

    class Kind(models.TextChoices):
        GOVERNORATE = "governorate", _("Governorate")
        DISTRICT = "district", _("District")
        SUBDISTRICT = "subdistrict", _("Sub-district")
        COMMUNITY = "community", _("Community")
        CAMP = "camp", _("Camp")
        CAMP_SECTION = "camp_section", _("Camp section")
        CAMP_BLOCK = "camp_block", _("Camp block")

    class Country(models.TextChoices):
        SYRIA = "SY", _("Syria")
        IRAQ = "IQ", _("Iraq")

    pcode = models.CharField(_("P-code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # The governorate this place lies in (itself for a governorate): filters by origin
    # governorate need no walk up the tree.
    governorate = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lat = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True)
    lon = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True)

    class Meta:
        ordering = ["pcode"]
        indexes = [models.Index(fields=["kind", "country"])]
        verbose_name = _("place")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


ADMIN_KINDS = {1: Place.Kind.GOVERNORATE, 2: Place.Kind.DISTRICT, 3: Place.Kind.SUBDISTRICT}
CAMP_KINDS = {Place.Kind.CAMP, Place.Kind.CAMP_SECTION, Place.Kind.CAMP_BLOCK}
