from django.urls import path

from awda.tracing import views

app_name = "tracing"
urlpatterns = [
    path("tracing/", views.request_list, name="request_list"),
    path("tracing/new/<int:person>/", views.request_create, name="request_create"),
    path("tracing/<int:pk>/", views.request_detail, name="request_detail"),
    path("tracing/<int:pk>/search/", views.request_search, name="request_search"),
    path("tracing/<int:pk>/outcome/", views.request_outcome, name="request_outcome"),
    path("tracing/<int:pk>/photo/", views.photo, name="photo"),
    path("tracing/<int:pk>/photo/upload/", views.photo_upload, name="photo_upload"),
    path(
        "tracing/candidates/<int:pk>/<str:action>/",
        views.candidate_action,
        name="candidate_action",
    ),
    path("tracing/contacts/", views.contact_list, name="contact_list"),
    path("tracing/contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("persons/<int:pk>/family/", views.person_family, name="person_family"),
]
