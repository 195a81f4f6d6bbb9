from django.urls import include, path

from exercises.views import (
    accounts,
    api_tokens,
    catalogue_authoring,
    conjunctions,
    control,
    debris,
    evaluation,
    live,
    manoeuvres,
    pictures,
    planning,
    reports,
    scenarios,
    sharing,
    space_data,
    staffing,
    timeline,
)
from exercises.views.lazy import lazy_view

# Everything under one exercise: authorized per view by role and team (views/*).
exercise_urls = [
    # Staffing.
    path("participants/", staffing.participants, name="participants"),
    path("participants/import/", staffing.import_participants, name="participants-import"),
    path("participants/cards/", staffing.login_cards, name="login-cards"),
    path("participants/<int:participant_id>/remove/", staffing.remove, name="remove-participant"),
    # The exercise running: the console, the team page, the clock and the injects.
    path("", live.console, name="console"),
    path("team/", live.team, name="team"),
    path("injects/<int:inject_id>/release/", live.release_inject, name="release-inject"),
    path("injects/<int:inject_id>/respond/", live.respond, name="respond"),
    path("clock/<slug:action>/", live.change_clock, name="change-clock"),
    path("responses/<int:response_id>/amend/", live.amend, name="amend-response"),
    path("speed/", control.set_speed, name="clock-speed"),
    path("jump/", control.jump, name="clock-jump"),
    path("injects/<int:inject_id>/hold/", control.hold, name="hold-inject"),
    path("injects/<int:inject_id>/delay/", control.delay, name="delay-inject"),
    path("injects/<int:inject_id>/edit/", control.edit, name="edit-inject"),
    path("injects/adhoc/", control.compose, name="compose-inject"),
    path("injects/<int:inject_id>/acknowledge/", live.acknowledge, name="acknowledge-inject"),
    path("messages/", live.send_message, name="send-message"),
    path("delivery/", control.delivery, name="delivery"),
    path("timeline/", timeline.timeline, name="timeline"),
    path("injects/<int:inject_id>/discard/", debris.discard_draft, name="discard-draft"),
    # The Combined Picture: sharing assessments, in the browser and as STIX bundles; the TAXII server's API tokens.
    path("share/", sharing.share, name="share-assessment"),
    path("assessments/<int:assessment_id>/acknowledge/", sharing.acknowledge, name="acknowledge-assessment"),
    path("assessments/<int:assessment_id>/comment/", sharing.comment, name="comment-assessment"),
    path("combined-picture.stix.json", lazy_view("exercises.views.stix_exchange", "export"), name="stix-export"),
    path("share/stix/", lazy_view("exercises.views.stix_exchange", "import_bundle"), name="stix-import"),
    path("api-tokens/", api_tokens.tokens, name="api-tokens"),
    path("api-tokens/<int:token_id>/revoke/", api_tokens.revoke, name="api-token-revoke"),
    # Evaluation, the hot wash, the after-action report and the improvement plan.
    path("evaluation/", evaluation.evaluation_page, name="evaluation"),
    path("evaluation/observe/", evaluation.observe, name="observe"),
    path("evaluation/adjudicate/", evaluation.adjudicate, name="adjudicate"),
    path("evaluation/rate/", evaluation.rate, name="rate-team"),
    path("feedback/", evaluation.feedback_form, name="feedback"),
    path("hot-wash/", evaluation.hot_wash, name="hot-wash"),
    path("report/", reports.report, name="report"),
    path("report.<slug:fmt>", reports.download, name="report-export"),
    path("improvement-plan/", reports.plan, name="improvement-plan"),
    path("improvement-plan/<int:item_id>/", reports.edit_item, name="improvement-item"),
    path("improvement-plan/<int:item_id>/delete/", reports.delete_item, name="improvement-item-delete"),
    # Space: the conjunctions' CDMs, the team's manoeuvre planner, the orbit pictures, the catalogue's OMMs.
    path("injects/<int:inject_id>/cdm.<slug:fmt>", conjunctions.inject_cdm, name="inject-cdm"),
    path("conjunctions/<int:conjunction_id>/manoeuvre/plan/", manoeuvres.plan, name="plan-manoeuvre"),
    path("conjunctions/<int:conjunction_id>/manoeuvre/commit/", manoeuvres.commit, name="commit-manoeuvre"),
    path(
        "conjunctions/<int:conjunction_id>/<slug:picture>.svg",
        pictures.conjunction_picture,
        name="conjunction-picture",
    ),
    path("debris/<int:object_id>/<slug:picture>.svg", pictures.debris_picture, name="debris-picture"),
    path("catalogue/altitudes.svg", pictures.catalogue_picture, name="catalogue-picture"),
    path("catalogue/", space_data.catalogue, name="exercise-catalogue"),
    path("catalogue/<int:object_id>/omm.<slug:fmt>", space_data.object_omm, name="object-omm"),
    path("conjunctions/<int:conjunction_id>/cdm.<slug:fmt>", space_data.conjunction_cdm, name="conjunction-cdm"),
]

# Scenario authoring (MSELs and their space catalogue): exercise planners only.
scenario_urls = [
    path("", scenarios.scenario_list, name="scenario-list"),
    path("new/", scenarios.create_scenario, name="scenario-create"),
    path("import/", scenarios.import_scenario, name="scenario-import"),
    path("import-msel/", scenarios.import_msel, name="msel-import"),
    path("<int:scenario_id>/", scenarios.scenario_detail, name="scenario-detail"),
    path("<int:scenario_id>/row/", scenarios.scenario_row, name="scenario-row"),
    path("<int:scenario_id>/rename/", scenarios.rename_scenario, name="scenario-rename"),
    path("<int:scenario_id>/duplicate/", scenarios.duplicate_scenario, name="scenario-duplicate"),
    path("<int:scenario_id>/export.json", scenarios.export_scenario, name="scenario-export"),
    path("<int:scenario_id>/msel.<slug:fmt>", scenarios.export_msel, name="msel-export"),
    path("<int:scenario_id>/injects/new/", scenarios.add_inject, name="scenario-inject-add"),
    path("<int:scenario_id>/injects/<int:inject_id>/", scenarios.inject_row, name="scenario-inject-row"),
    path("<int:scenario_id>/injects/<int:inject_id>/edit/", scenarios.edit_inject, name="scenario-inject-edit"),
    path("<int:scenario_id>/injects/<int:inject_id>/delete/", scenarios.delete_inject, name="scenario-inject-delete"),
    path(
        "<int:scenario_id>/injects/<int:inject_id>/move/<slug:direction>/",
        scenarios.move_inject,
        name="scenario-inject-move",
    ),
    path(
        "<int:scenario_id>/injects/<int:inject_id>/preview/",
        scenarios.preview_inject,
        name="scenario-inject-preview",
    ),
    path("<int:scenario_id>/catalogue/new/", catalogue_authoring.add_object, name="scenario-object-add"),
    path(
        "<int:scenario_id>/catalogue/<int:object_id>/edit/",
        catalogue_authoring.edit_object,
        name="scenario-object-edit",
    ),
    path(
        "<int:scenario_id>/catalogue/<int:object_id>/delete/",
        catalogue_authoring.delete_object,
        name="scenario-object-delete",
    ),
    path("<int:scenario_id>/orbit-epoch/", catalogue_authoring.set_orbit_epoch, name="scenario-orbit-epoch"),
]

# The TAXII 2.1 server (exercises/views/taxii.py): API tokens, not sessions (so no CSRF). Its views, and the STIX
# exchange's, are imported on their first request: they need stix2 (exercises/views/lazy.py).


def taxii_view(name):
    return lazy_view("exercises.views.taxii", name, csrf_exempt=True)


COLLECTION = "exercises/<int:exercise_id>/collections/<uuid:collection_uuid>/"
taxii_urls = [
    path("", taxii_view("discovery"), name="taxii-discovery"),
    path("exercises/<int:exercise_id>/", taxii_view("api_root"), name="taxii-api-root"),
    path("exercises/<int:exercise_id>/collections/", taxii_view("collections"), name="taxii-collections"),
    path(COLLECTION, taxii_view("collection"), name="taxii-collection"),
    path(COLLECTION + "objects/", taxii_view("objects"), name="taxii-objects"),
    path(COLLECTION + "objects/<str:object_id>/", taxii_view("object_detail"), name="taxii-object"),
    path(COLLECTION + "objects/<str:object_id>/versions/", taxii_view("object_versions"), name="taxii-object-versions"),
    path(COLLECTION + "manifest/", taxii_view("manifest"), name="taxii-manifest"),
    path("exercises/<int:exercise_id>/status/<uuid:status_id>/", taxii_view("status"), name="taxii-status"),
]

urlpatterns = [
    path("", live.home, name="home"),
    path("language/", accounts.choose_language, name="choose-language"),
    path("exercises/new/", planning.plan, name="plan-exercise"),
    path("exercises/<int:exercise_id>/", include(exercise_urls)),
    path("scenarios/", include(scenario_urls)),
    path("taxii2/", include(taxii_urls)),
]
