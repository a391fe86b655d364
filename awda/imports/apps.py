from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "awda.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # Registers the check and the commit with the task runner (`awda run_tasks` too).
        from awda.imports import services  # noqa: F401
