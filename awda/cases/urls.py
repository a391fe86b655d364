from django.urls import path

from awda.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.referral_list, name="referral_list"),
    path("new/<int:household_pk>/", views.referral_create, name="referral_create"),
    path("<int:pk>/<str:answer>/", views.referral_respond, name="referral_respond"),
]
