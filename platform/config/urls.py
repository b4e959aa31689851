from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hub.core.api import AuthTokenApi
from hub.core.views import home

api_patterns = [
    path("", include("hub.courses.api_urls")),
    path("", include("hub.submissions.api_urls")),
    path("", include("hub.grading.api_urls")),
    path("", include("hub.gradebook.api_urls")),
    path("", include("hub.groups.api_urls")),
    path("auth/token/", AuthTokenApi.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("hub.courses.urls")),
    path("", include("hub.submissions.urls")),
    path("", include("hub.grading.urls")),
    path("", include("hub.gradebook.urls")),
    path("", include("hub.groups.urls")),
    path("", include("hub.rubrics.urls")),
    path("", include("hub.similarity.urls")),
]
