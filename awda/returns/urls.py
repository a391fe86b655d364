from django.urls import path

from awda.returns import views

app_name = "returns"
urlpatterns = [
    path("", views.board, name="board"),
    path("households/<int:pk>/", views.household_return, name="household"),
    path("households/<int:pk>/intention/", views.intention_save, name="intention"),
    path("households/<int:pk>/checklist/<int:item>/", views.tick, name="tick"),
    path("households/<int:pk>/clearance/", views.clearance_save, name="clearance"),
    path("households/<int:pk>/override/", views.override, name="override"),
    path(
        "households/<int:pk>/override/<int:override_pk>/revoke/",
        views.override_revoke,
        name="override_revoke",
    ),
    path("households/<int:pk>/stay/programmes/", views.stay_programmes, name="stay_programmes"),
    path("households/<int:pk>/stay/exit/", views.stay_exit, name="stay_exit"),
    path("households/<int:pk>/close/", views.close, name="close"),
    path("households/<int:pk>/handover/", views.handover, name="handover"),
    path("movements/", views.movement_list, name="movement_list"),
    path("movements/new/", views.movement_create, name="movement_create"),
    path("movements/<int:pk>/", views.movement_detail, name="movement_detail"),
    path("movements/<int:pk>/edit/", views.movement_edit, name="movement_edit"),
    path("movements/<int:pk>/households/", views.movement_add, name="movement_add"),
    path(
        "movements/<int:pk>/households/<int:household>/remove/",
        views.movement_remove,
        name="movement_remove",
    ),
    path(
        "movements/<int:pk>/passengers/<int:passenger>/escort/",
        views.passenger_escort,
        name="passenger_escort",
    ),
    path("movements/<int:pk>/departure/", views.movement_departure, name="movement_departure"),
    path("movements/<int:pk>/arrival/", views.movement_arrival, name="movement_arrival"),
    path("movements/<int:pk>/manifest.pdf", views.manifest_pdf, name="manifest_pdf"),
    path("movements/<int:pk>/manifest.xlsx", views.manifest_xlsx, name="manifest_xlsx"),
    path("checklists/", views.checklists, name="checklists"),
]
