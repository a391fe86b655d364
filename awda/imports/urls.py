from django.urls import path

from awda.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("<int:pk>/", views.batch_detail, name="batch_detail"),
    path("<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("<int:pk>/report.xlsx", views.batch_report, name="batch_report"),
    path("<int:pk>/mapping/", views.batch_mapping, name="batch_mapping"),
    path("<int:pk>/decide/", views.batch_decide, name="batch_decide"),
    path("<int:pk>/commit/", views.batch_commit, name="batch_commit"),
    path("<int:pk>/rollback/", views.batch_rollback, name="batch_rollback"),
    path("<int:pk>/discard/", views.batch_discard, name="batch_discard"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]
