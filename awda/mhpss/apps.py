from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MhpssConfig(AppConfig):
    name = "awda.mhpss"
    label = "mhpss"
    verbose_name = _("Mental health and psychosocial support")
