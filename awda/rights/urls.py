"""The data protection officer's pages, under /rights/."""

from django.urls import path

from awda.rights import views

app_name = "rights"
urlpatterns = [
    path("rights/", views.index, name="index"),
    path("rights/persons/<int:pk>/", views.person, name="person"),
    path("rights/persons/<int:pk>/export.json", views.export, {"fmt": "json"}, name="export_json"),
    path("rights/persons/<int:pk>/export.pdf", views.export, {"fmt": "pdf"}, name="export_pdf"),
    path("rights/persons/<int:pk>/corrections/", views.correction_create, name="correction_new"),
    path("rights/persons/<int:pk>/anonymise/", views.anonymise, name="anonymise"),
    path("rights/corrections/<int:pk>/decide/", views.correction_decide, name="correction_decide"),
    path("rights/retention/", views.retention, name="retention"),
    path("rights/retention/report/", views.retention_report, name="retention_report"),
    path("rights/retention/<int:pk>/", views.retention_rule, name="retention_rule"),
]
