from django.urls import path

from awda.identity import views

app_name = "identity"
urlpatterns = [
    path("", views.candidate_list, name="candidate_list"),
    path("<int:pk>/", views.candidate_detail, name="candidate_detail"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("check-list/", views.incoming_list, name="incoming_list"),
]
