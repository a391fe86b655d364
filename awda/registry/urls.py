from django.urls import path

from awda.registry import views

app_name = "registry"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/new/member-row/", views.member_row, name="member_row"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("persons/similar/", views.similar_persons, name="similar_persons"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/leave/", views.person_leave, name="person_leave"),
    path("persons/<int:pk>/move/", views.person_move, name="person_move"),
    path("history/<str:kind>/<int:pk>/", views.record_history, name="record_history"),
    path("places/subdistricts/", views.subdistrict_options, name="subdistrict_options"),
]
