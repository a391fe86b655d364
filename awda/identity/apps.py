from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "awda.identity"
    label = "identity"
    verbose_name = _("Identity resolution")

    def ready(self) -> None:
        # registers the duplicate scan with the task runner
        from awda.identity import services  # noqa: F401
