"""The data protection officer's breach log, under /audit/breaches/."""

from django.urls import path

from awda.audit import views

app_name = "breaches"

urlpatterns = [
    path("", views.breach_list, name="list"),
    path("new/", views.breach_create, name="new"),
    path("<int:pk>/", views.breach_detail, name="detail"),
    path("<int:pk>/edit/", views.breach_edit, name="edit"),
]
