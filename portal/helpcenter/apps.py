from django.apps import AppConfig


class HelpCenterConfig(AppConfig):
    name = "portal.helpcenter"
    label = "helpcenter"
    verbose_name = "Help center"
