from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from awda.accounts.api import TokenView
from awda.audit.views import audit_log
from awda.cases.api import AssessmentViewSet, CaseViewSet, FormViewSet, ReferralViewSet
from awda.common import views as common_views
from awda.community import api as community_api
from awda.consent import api as consent_api
from awda.exports import api as exports_api
from awda.mhpss.api import ScreeningViewSet
from awda.registry.api import HouseholdViewSet, PersonViewSet
from awda.reintegration import api as reintegration_api
from awda.reports.views import dashboard
from awda.returns import api as returns_api
from awda.tracing import api as tracing_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no `.json` twins of the URLs (DRF's format suffixes; actions refused them).
router.include_format_suffixes = False
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")
router.register("screenings", ScreeningViewSet, basename="screening")
router.register("cases", CaseViewSet, basename="case")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("forms", FormViewSet, basename="form")
router.register("assessments", AssessmentViewSet, basename="assessment")

api_urls = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    *returns_api.urls,
    *community_api.router.urls,
    *reintegration_api.router.urls,
    *consent_api.router.urls,
    *tracing_api.router.urls,
    *exports_api.urls,
]

urlpatterns = [
    path("", common_views.home, name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("accounts/", include("awda.accounts.urls")),
    path("", include("awda.cases.urls")),
    path("duplicates/", include("awda.identity.urls")),
    path("dashboard/", dashboard, name="dashboard"),
    path("audit/", audit_log, name="audit_log"),
    path("audit/breaches/", include("awda.audit.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include((api_urls, "api"))),
    path("", include("awda.mhpss.urls")),
    path("", include("awda.consent.urls")),
    path("", include("awda.tracing.urls")),
    path("", include("awda.rights.urls")),
    path("returns/", include("awda.returns.urls")),
    path("community/", include("awda.community.urls")),
    path("reintegration/", include("awda.reintegration.urls")),
    path("imports/", include("awda.imports.urls")),
    path("exports/", include("awda.exports.urls")),
    path("collect/", include("awda.collect.urls")),
    path("", include("awda.registry.urls")),
]
