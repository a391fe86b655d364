from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "awda.common"
    label = "common"
