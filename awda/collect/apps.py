from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectConfig(AppConfig):
    name = "awda.collect"
    label = "collect"
    verbose_name = _("Offline collection")

    def ready(self) -> None:
        # The import kinds of the offline forms' submissions register themselves.
        from awda.collect import kinds  # noqa: F401
