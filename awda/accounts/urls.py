from django.urls import path

from awda.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("logout-everywhere/", views.logout_everywhere_view, name="logout_everywhere"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/setup/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path("two-factor/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/reset-two-factor/", views.two_factor_reset, name="two_factor_reset"),
]
