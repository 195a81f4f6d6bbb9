from django.urls import path

from exercises.views import (
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
    stix_exchange,
    taxii,
    timeline,
)

urlpatterns = [
    path("", live.home, name="home"),
    path("exercises/new/", planning.plan, name="plan-exercise"),
    path("exercises/<int:exercise_id>/participants/", staffing.participants, name="participants"),
    path("exercises/<int:exercise_id>/participants/import/", staffing.import_participants, name="participants-import"),
    path("exercises/<int:exercise_id>/participants/cards/", staffing.login_cards, name="login-cards"),
    path(
        "exercises/<int:exercise_id>/participants/<int:participant_id>/remove/",
        staffing.remove,
        name="remove-participant",
    ),
    path("exercises/<int:exercise_id>/", live.console, name="console"),
    path("exercises/<int:exercise_id>/team/", live.team, name="team"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/release/", live.release_inject, name="release-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/respond/", live.respond, name="respond"),
    path("exercises/<int:exercise_id>/clock/<slug:action>/", live.change_clock, name="change-clock"),
    path("exercises/<int:exercise_id>/responses/<int:response_id>/amend/", live.amend, name="amend-response"),
    path("exercises/<int:exercise_id>/speed/", control.set_speed, name="clock-speed"),
    path("exercises/<int:exercise_id>/jump/", control.jump, name="clock-jump"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/hold/", control.hold, name="hold-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/delay/", control.delay, name="delay-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/edit/", control.edit, name="edit-inject"),
    path("exercises/<int:exercise_id>/injects/adhoc/", control.compose, name="compose-inject"),
    path(
        "exercises/<int:exercise_id>/injects/<int:inject_id>/acknowledge/", live.acknowledge, name="acknowledge-inject"
    ),
    path("exercises/<int:exercise_id>/messages/", live.send_message, name="send-message"),
    path("exercises/<int:exercise_id>/delivery/", control.delivery, name="delivery"),
    path("exercises/<int:exercise_id>/timeline/", timeline.timeline, name="timeline"),
    path("exercises/<int:exercise_id>/share/", sharing.share, name="share-assessment"),
    path(
        "exercises/<int:exercise_id>/assessments/<int:assessment_id>/acknowledge/",
        sharing.acknowledge,
        name="acknowledge-assessment",
    ),
    path(
        "exercises/<int:exercise_id>/assessments/<int:assessment_id>/comment/",
        sharing.comment,
        name="comment-assessment",
    ),
    path("exercises/<int:exercise_id>/evaluation/", evaluation.evaluation_page, name="evaluation"),
    path("exercises/<int:exercise_id>/evaluation/observe/", evaluation.observe, name="observe"),
    path("exercises/<int:exercise_id>/evaluation/adjudicate/", evaluation.adjudicate, name="adjudicate"),
    path("exercises/<int:exercise_id>/evaluation/rate/", evaluation.rate, name="rate-team"),
    path("exercises/<int:exercise_id>/feedback/", evaluation.feedback_form, name="feedback"),
    path("exercises/<int:exercise_id>/hot-wash/", evaluation.hot_wash, name="hot-wash"),
    path("exercises/<int:exercise_id>/report/", reports.report, name="report"),
    path("exercises/<int:exercise_id>/report.<slug:fmt>", reports.download, name="report-export"),
    path("exercises/<int:exercise_id>/improvement-plan/", reports.plan, name="improvement-plan"),
    path("exercises/<int:exercise_id>/improvement-plan/<int:item_id>/", reports.edit_item, name="improvement-item"),
    path(
        "exercises/<int:exercise_id>/improvement-plan/<int:item_id>/delete/",
        reports.delete_item,
        name="improvement-item-delete",
    ),
]

# Scenario authoring (MSELs): exercise planners only.
urlpatterns += [
    path("scenarios/", scenarios.scenario_list, name="scenario-list"),
    path("scenarios/new/", scenarios.create_scenario, name="scenario-create"),
    path("scenarios/import/", scenarios.import_scenario, name="scenario-import"),
    path("scenarios/import-msel/", scenarios.import_msel, name="msel-import"),
    path("scenarios/<int:scenario_id>/", scenarios.scenario_detail, name="scenario-detail"),
    path("scenarios/<int:scenario_id>/row/", scenarios.scenario_row, name="scenario-row"),
    path("scenarios/<int:scenario_id>/rename/", scenarios.rename_scenario, name="scenario-rename"),
    path("scenarios/<int:scenario_id>/duplicate/", scenarios.duplicate_scenario, name="scenario-duplicate"),
    path("scenarios/<int:scenario_id>/export.json", scenarios.export_scenario, name="scenario-export"),
    path("scenarios/<int:scenario_id>/msel.<slug:fmt>", scenarios.export_msel, name="msel-export"),
    path("scenarios/<int:scenario_id>/injects/new/", scenarios.add_inject, name="scenario-inject-add"),
    path("scenarios/<int:scenario_id>/injects/<int:inject_id>/", scenarios.inject_row, name="scenario-inject-row"),
    path(
        "scenarios/<int:scenario_id>/injects/<int:inject_id>/edit/", scenarios.edit_inject, name="scenario-inject-edit"
    ),
    path(
        "scenarios/<int:scenario_id>/injects/<int:inject_id>/delete/",
        scenarios.delete_inject,
        name="scenario-inject-delete",
    ),
    path(
        "scenarios/<int:scenario_id>/injects/<int:inject_id>/move/<slug:direction>/",
        scenarios.move_inject,
        name="scenario-inject-move",
    ),
    path(
        "scenarios/<int:scenario_id>/injects/<int:inject_id>/preview/",
        scenarios.preview_inject,
        name="scenario-inject-preview",
    ),
]

# The scenario's space catalogue (catalogue-authoring): exercise planners only.
urlpatterns += [
    path("scenarios/<int:scenario_id>/catalogue/new/", catalogue_authoring.add_object, name="scenario-object-add"),
    path(
        "scenarios/<int:scenario_id>/catalogue/<int:object_id>/edit/",
        catalogue_authoring.edit_object,
        name="scenario-object-edit",
    ),
    path(
        "scenarios/<int:scenario_id>/catalogue/<int:object_id>/delete/",
        catalogue_authoring.delete_object,
        name="scenario-object-delete",
    ),
    path("scenarios/<int:scenario_id>/orbit-epoch/", catalogue_authoring.set_orbit_epoch, name="scenario-orbit-epoch"),
]

# A conjunction inject's CCSDS Conjunction Data Message (cards): staff, and the teams it was released to.
urlpatterns += [
    path(
        "exercises/<int:exercise_id>/injects/<int:inject_id>/cdm.<slug:fmt>", conjunctions.inject_cdm, name="inject-cdm"
    ),
]

# The team's manoeuvre planner (issue 14): preview a burn, then commit it.
urlpatterns += [
    path(
        "exercises/<int:exercise_id>/conjunctions/<int:conjunction_id>/manoeuvre/plan/",
        manoeuvres.plan,
        name="plan-manoeuvre",
    ),
    path(
        "exercises/<int:exercise_id>/conjunctions/<int:conjunction_id>/manoeuvre/commit/",
        manoeuvres.commit,
        name="commit-manoeuvre",
    ),
]

# STIX bundles of the Combined Picture, and the API tokens of the TAXII server.
urlpatterns += [
    path("exercises/<int:exercise_id>/combined-picture.stix.json", stix_exchange.export, name="stix-export"),
    path("exercises/<int:exercise_id>/share/stix/", stix_exchange.import_bundle, name="stix-import"),
    path("exercises/<int:exercise_id>/api-tokens/", api_tokens.tokens, name="api-tokens"),
    path("exercises/<int:exercise_id>/api-tokens/<int:token_id>/revoke/", api_tokens.revoke, name="api-token-revoke"),
]

# The TAXII 2.1 server (exercises/views/taxii.py): API tokens, not sessions.
TAXII_COLLECTION = "taxii2/exercises/<int:exercise_id>/collections/<uuid:collection_uuid>/"
urlpatterns += [
    path("taxii2/", taxii.discovery, name="taxii-discovery"),
    path("taxii2/exercises/<int:exercise_id>/", taxii.api_root, name="taxii-api-root"),
    path("taxii2/exercises/<int:exercise_id>/collections/", taxii.collections, name="taxii-collections"),
    path(TAXII_COLLECTION, taxii.collection, name="taxii-collection"),
    path(TAXII_COLLECTION + "objects/", taxii.objects, name="taxii-objects"),
    path(TAXII_COLLECTION + "objects/<str:object_id>/", taxii.object_detail, name="taxii-object"),
    path(TAXII_COLLECTION + "objects/<str:object_id>/versions/", taxii.object_versions, name="taxii-object-versions"),
    path(TAXII_COLLECTION + "manifest/", taxii.manifest, name="taxii-manifest"),
    path("taxii2/exercises/<int:exercise_id>/status/<uuid:status_id>/", taxii.status, name="taxii-status"),
]

# An ASAT test's drafted contingency injects (services/debris.py): facilitators only.
urlpatterns += [
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/discard/", debris.discard_draft, name="discard-draft"),
]

# The orbit pictures (SVG): a conjunction's, a debris cloud's, the allied catalogue's.
urlpatterns += [
    path(
        "exercises/<int:exercise_id>/conjunctions/<int:conjunction_id>/<slug:picture>.svg",
        pictures.conjunction_picture,
        name="conjunction-picture",
    ),
    path(
        "exercises/<int:exercise_id>/debris/<int:object_id>/<slug:picture>.svg",
        pictures.debris_picture,
        name="debris-picture",
    ),
    path("exercises/<int:exercise_id>/catalogue/altitudes.svg", pictures.catalogue_picture, name="catalogue-picture"),
]

# Space data out (issue 15): the catalogue's OMMs and the screened conjunctions' CDMs, for whoever may see them.
urlpatterns += [
    path("exercises/<int:exercise_id>/catalogue/", space_data.catalogue, name="exercise-catalogue"),
    path(
        "exercises/<int:exercise_id>/catalogue/<int:object_id>/omm.<slug:fmt>",
        space_data.object_omm,
        name="object-omm",
    ),
    path(
        "exercises/<int:exercise_id>/conjunctions/<int:conjunction_id>/cdm.<slug:fmt>",
        space_data.conjunction_cdm,
        name="conjunction-cdm",
    ),
]
