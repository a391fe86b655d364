from django.urls import path

from awda.reintegration import views

app_name = "reintegration"
urlpatterns = [
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
    path("follow-ups/<int:pk>/missed/", views.follow_up_missed, name="follow_up_missed"),
    path("households/<int:pk>/", views.household_reintegration, name="household"),
    path("places/", views.place_list, name="places"),
    path("instruments/", views.instrument_list, name="instruments"),
    path("instruments/<int:pk>/active/", views.instrument_active, name="instrument_active"),
]
