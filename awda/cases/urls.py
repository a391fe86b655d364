from django.urls import path

from awda.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.caseload, name="caseload"),
    path("today/", views.today, name="today"),
    path("cases/<int:pk>/assessments/<slug:slug>/", views.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("forms/", views.form_list, name="form_list"),
    path("cases/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("forms/<slug:slug>/xlsform/", views.form_xlsform, name="form_xlsform"),
    path("cases/<int:pk>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/step/", views.case_act, name="case_act"),
    path("cases/<int:pk>/record/", views.case_record, name="case_record"),
    path("cases/new/<int:household_pk>/", views.case_open, name="case_open"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/new/<int:household_pk>/", views.referral_create, name="referral_create"),
    path("referrals/<int:pk>/<str:answer>/", views.referral_respond, name="referral_respond"),
]
