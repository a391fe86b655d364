from django.urls import path

from awda.mhpss import views

app_name = "mhpss"
urlpatterns = [
    path("persons/<int:pk>/mhpss/", views.person_mhpss, name="person"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/done/", views.alert_resolve, name="alert_resolve"),
]
