from django.urls import path

from awda.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.index, name="index"),
    path("persons/", views.persons, name="persons"),
    path("pseudonymised/", views.pseudonymised, name="pseudonymised"),
    path("aggregate/<slug:by>.<slug:fmt>", views.aggregate, name="aggregate"),
]
