from django.urls import path

from awda.collect import views

app_name = "collect"
urlpatterns = [
    path("", views.index, name="index"),
    path("registration.xlsx", views.registration, name="registration"),
    path("surveys/<slug:code>.xlsx", views.survey, name="survey"),
    path("screenings/<slug:code>.xlsx", views.screening, name="screening"),
    path("assessments/<slug:slug>.xlsx", views.assessment, name="assessment"),
]
