from django.urls import path

from awda.community import views

app_name = "community"
urlpatterns = [
    path("actors/", views.actor_list, name="actor_list"),
    path("actors/new/", views.actor_create, name="actor_create"),
    path("actors/<int:pk>/", views.actor_detail, name="actor_detail"),
    path("actors/<int:pk>/edit/", views.actor_edit, name="actor_edit"),
    path(
        "households/<int:pk>/sponsorship/",
        views.household_sponsorship,
        name="household_sponsorship",
    ),
    path("places/", views.place_list, name="place_list"),
    path("places/subdistricts/", views.subdistrict_options, name="subdistrict_options"),
    path("places/<int:pk>/", views.place_detail, name="place_detail"),
    path("activities/", views.activity_list, name="activity_list"),
]
