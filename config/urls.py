from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from exercises.views import accounts

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", accounts.password_reset, name="password-reset"),
    path("password-reset/sent/", accounts.password_reset_sent, name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password-reset-confirm"),
    path("password-reset/done/", accounts.password_reset_complete, name="password-reset-complete"),
    path("invitation/<uidb64>/<token>/", accounts.invitation, name="invitation"),
    path("invitation/done/", accounts.invitation_complete, name="invitation-complete"),
    path("admin/", admin.site.urls),
    path("", include("exercises.urls")),
]
