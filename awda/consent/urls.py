from django.urls import path

from awda.consent import views

app_name = "consent"
urlpatterns = [
    path("persons/<int:pk>/consent/", views.person_consents, name="person"),
    path("consents/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
