"""Authoring scenarios (MSELs): exercise planners only.

Thin views: check the user may author, validate with a form, call a service, render. With
htmx a view returns just the partial it changed; without, it redirects or renders a page.
"""

import json
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from exercises import selectors
from exercises.forms_scenarios import DuplicateForm, InjectForm, MselFileForm, ScenarioFileForm, ScenarioForm
from exercises.models import Scenario, ScenarioInject
from exercises.services import ServiceError, msel_spreadsheet, scenarios
from exercises.services.scenarios import InvalidScenario, Problem

LIST = "scenarios/list.html"
MSEL = "scenarios/msel.html"


def planner_required(view):
    """Logged in (else the login page) and an exercise planner (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.can_author_scenarios(request.user):
            raise PermissionDenied(gettext("Only exercise planners author scenarios. Ask an administrator to add you."))
        return view(request, *args, **kwargs)

    return wrapped


def _scenario(scenario_id) -> Scenario:
    return get_object_or_404(Scenario, pk=scenario_id)


def _inject(scenario: Scenario, inject_id) -> ScenarioInject:
    return get_object_or_404(scenario.injects, pk=inject_id)


def _msel(scenario: Scenario):
    """The scenario's injects as the editor shows them: by time, then number."""
    return list(
        scenario.injects.select_related("trigger_step")
        .prefetch_related("teams", "protocol_steps", "objectives", "releasable_to")
        .order_by("offset", "sequence")
    )


def _redirect(request, url):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- The library -----------------------------------------------------------------------------


def _library_context(**forms) -> dict:
    return {
        "scenarios": Scenario.objects.annotate(
            inject_count=Count("injects", distinct=True), objective_count=Count("objectives", distinct=True)
        ),
        "create_form": forms.get("create_form") or ScenarioForm(auto_id="new-scenario-%s"),
        "json_form": forms.get("json_form") or ScenarioFileForm(auto_id="import-json-%s"),
        "msel_form": forms.get("msel_form") or MselFileForm(auto_id="import-msel-%s"),
        "json_problems": forms.get("json_problems"),
        "msel_problems": forms.get("msel_problems"),
    }


@require_GET
@planner_required
def scenario_list(request):
    return render(request, LIST, _library_context())


@require_POST
@planner_required
def create_scenario(request):
    form = ScenarioForm(request.POST, auto_id="new-scenario-%s")
    if form.is_valid():
        try:
            scenario = scenarios.create_scenario(
                name=form.cleaned_data["name"], description=form.cleaned_data["description"], by=request.user
            )
        except ServiceError as error:
            form.add_error("name", error.message)
        else:
            return _redirect(request, reverse("scenario-detail", args=[scenario.pk]))
    if request.htmx:
        return render(request, f"{LIST}#create-form", {"form": form}, status=400)
    return render(request, LIST, _library_context(create_form=form), status=400)


@require_http_methods(["GET", "POST"])
@planner_required
def rename_scenario(request, scenario_id):
    scenario = _scenario(scenario_id)
    auto_id = f"rename-{scenario.pk}-%s"
    if request.method == "GET":
        form = ScenarioForm(
            initial={"name": scenario.name, "description": scenario.description}, scenario=scenario, auto_id=auto_id
        )
        template = f"{LIST}#rename-row" if request.htmx else "scenarios/rename.html"
        return render(request, template, {"scenario": scenario, "form": form})
    form = ScenarioForm(request.POST, scenario=scenario, auto_id=auto_id)
    if form.is_valid():
        try:
            scenario = scenarios.rename_scenario(
                scenario=scenario,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except ServiceError as error:
            form.add_error("name", error.message)
        else:
            if request.htmx:
                return render(request, f"{LIST}#scenario-row", {"scenario": _library_row(scenario), "focus": "rename"})
            return redirect("scenario-list")
    template = f"{LIST}#rename-row" if request.htmx else "scenarios/rename.html"
    return render(request, template, {"scenario": scenario, "form": form}, status=400)


def _library_row(scenario: Scenario) -> Scenario:
    return (
        Scenario.objects.annotate(
            inject_count=Count("injects", distinct=True), objective_count=Count("objectives", distinct=True)
        )
        .filter(pk=scenario.pk)
        .get()
    )


@require_GET
@planner_required
def scenario_row(request, scenario_id):
    """One row of the library (what Cancel puts back while renaming)."""
    scenario = _scenario(scenario_id)
    if not request.htmx:
        return redirect("scenario-list")
    return render(request, f"{LIST}#scenario-row", {"scenario": _library_row(scenario), "focus": "rename"})


@require_POST
@planner_required
def duplicate_scenario(request, scenario_id):
    scenario = _scenario(scenario_id)
    form = DuplicateForm(request.POST)
    if form.is_valid():
        try:
            copy = scenarios.duplicate_scenario(scenario=scenario, name=form.cleaned_data["name"], by=request.user)
        except ServiceError as error:
            form.add_error("name", error.message)
        else:
            return _redirect(request, reverse("scenario-detail", args=[copy.pk]))
    return render(
        request,
        "exercises/refused.html",
        {"message": " ".join(e for errors in form.errors.values() for e in errors)},
        status=400,
    )


# --- Export and import -------------------------------------------------------------------------


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _file_stem(scenario: Scenario) -> str:
    return slugify(scenario.name) or f"scenario-{scenario.pk}"


@require_GET
@planner_required
def export_scenario(request, scenario_id):
    scenario = _scenario(scenario_id)
    content = json.dumps(scenarios.export_scenario(scenario), indent=2, ensure_ascii=False) + "\n"
    return _download(content.encode(), f"{_file_stem(scenario)}.json", "application/json")


EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", msel_spreadsheet.export_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", msel_spreadsheet.export_xlsx),
}


@require_GET
@planner_required
def export_msel(request, scenario_id, fmt):
    scenario = _scenario(scenario_id)
    if fmt not in EXPORT_TYPES:
        raise Http404(gettext("Export a MSEL as csv or xlsx."))
    content_type, export = EXPORT_TYPES[fmt]
    return _download(export(scenario), f"{_file_stem(scenario)}-msel.{fmt}", content_type)


def _import_refused(request, partial: str, context_key: str, form, problems: list[Problem]):
    """The form again, with the list of problems (where, column, reason); nothing was written."""
    if request.htmx:
        return render(request, f"{LIST}#{partial}", {"form": form, "problems": problems}, status=400)
    problems_key = "json_problems" if context_key == "json_form" else "msel_problems"
    return render(request, LIST, _library_context(**{context_key: form, problems_key: problems}), status=400)


@require_POST
@planner_required
def import_scenario(request):
    form = ScenarioFileForm(request.POST, request.FILES, auto_id="import-json-%s")
    problems = []
    if form.is_valid():
        try:
            data = json.loads(form.cleaned_data["file"].read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            reason = gettext("this is not a JSON scenario file (%(error)s)") % {"error": error}
            problems = [Problem(pgettext("where a problem is", "file"), "", reason)]
        else:
            try:
                scenario = scenarios.import_scenario(data, by=request.user, replace=form.cleaned_data["replace"])
            except InvalidScenario as error:
                problems = error.problems
            else:
                return _redirect(request, reverse("scenario-detail", args=[scenario.pk]))
    return _import_refused(request, "import-json-form", "json_form", form, problems)


@require_POST
@planner_required
def import_msel(request):
    form = MselFileForm(request.POST, request.FILES, auto_id="import-msel-%s")
    problems = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            scenario = msel_spreadsheet.import_msel_file(
                upload.read(),
                upload.name,
                scenario=form.cleaned_data["scenario"],
                new_name=form.cleaned_data["new_name"],
                by=request.user,
            )
        except InvalidScenario as error:
            problems = error.problems
        except ServiceError as error:
            form.add_error("new_name", error.message)
        else:
            return _redirect(request, reverse("scenario-detail", args=[scenario.pk]))
    return _import_refused(request, "import-msel-form", "msel_form", form, problems)


# --- The MSEL editor ----------------------------------------------------------------------------


def _editor_context(scenario: Scenario, **extra) -> dict:
    injects = _msel(scenario)
    return {
        "scenario": scenario,
        "injects": injects,
        "first_pk": injects[0].pk if injects else None,
        "last_pk": injects[-1].pk if injects else None,
        **extra,
    }


@require_GET
@planner_required
def scenario_detail(request, scenario_id):
    scenario = _scenario(scenario_id)
    from exercises.views.catalogue_authoring import catalogue_context

    context = _editor_context(
        scenario,
        objectives=scenario.objectives.select_related("core_capability"),
        add_form=InjectForm(scenario=scenario),
        **{key: value for key, value in catalogue_context(scenario).items() if key != "scenario"},
    )
    return render(request, MSEL, context)


def _rows(request, scenario: Scenario, message: str, focus: tuple = (None, "")):
    """The MSEL's rows (for #msel-body), a status message for screen readers, and which control gets focus."""
    focus_pk, control = focus
    context = _editor_context(scenario, status=message, focus_pk=focus_pk)
    # A move button at the top or bottom is disabled; focus the other one instead.
    if control == "move-up" and focus_pk == context["first_pk"]:
        control = "move-down"
    elif control == "move-down" and focus_pk == context["last_pk"]:
        control = "move-up"
    context["focus_control"] = control
    return render(request, f"{MSEL}#msel-update", context)


@require_http_methods(["GET", "POST"])
@planner_required
def add_inject(request, scenario_id):
    scenario = _scenario(scenario_id)
    if request.method == "GET":
        return render(
            request, "scenarios/inject_form_page.html", {"scenario": scenario, "form": InjectForm(scenario=scenario)}
        )
    form = InjectForm(request.POST, scenario=scenario)
    if form.is_valid():
        try:
            inject = scenarios.add_inject(scenario=scenario, values=form.msel_values(), by=request.user)
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            if not request.htmx:
                return redirect(f"{reverse('scenario-detail', args=[scenario.pk])}#inject-row-{inject.pk}")
            context = _editor_context(
                scenario,
                form=InjectForm(scenario=scenario),
                status=gettext("Inject %(sequence)s added at %(time)s: %(title)s.")
                % {"sequence": inject.sequence, "time": inject.scenario_time, "title": inject.title},
                focus_pk=inject.pk,
                focus_control="edit",
                added=inject.pk,
            )
            return render(request, f"{MSEL}#inject-added", context)
    if request.htmx:
        return render(request, f"{MSEL}#inject-form", {"scenario": scenario, "form": form}, status=400)
    return render(request, "scenarios/inject_form_page.html", {"scenario": scenario, "form": form}, status=400)


@require_GET
@planner_required
def inject_row(request, scenario_id, inject_id):
    """One row of the MSEL (what Cancel puts back while editing)."""
    scenario = _scenario(scenario_id)
    inject = _inject(scenario, inject_id)
    if not request.htmx:
        return redirect(f"{reverse('scenario-detail', args=[scenario.pk])}#inject-row-{inject.pk}")
    return render(
        request,
        f"{MSEL}#inject-row",
        _editor_context(scenario, inject=inject, focus_pk=inject.pk, focus_control="edit"),
    )


@require_http_methods(["GET", "POST"])
@planner_required
def edit_inject(request, scenario_id, inject_id):
    scenario = _scenario(scenario_id)
    inject = _inject(scenario, inject_id)
    template = f"{MSEL}#inject-edit-row" if request.htmx else "scenarios/inject_form_page.html"
    if request.method == "GET":
        return render(
            request,
            template,
            {"scenario": scenario, "inject": inject, "form": InjectForm(scenario=scenario, inject=inject)},
        )
    form = InjectForm(request.POST, scenario=scenario, inject=inject)
    if form.is_valid():
        try:
            inject = scenarios.change_inject(inject=inject, values=form.msel_values(), by=request.user)
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            if not request.htmx:
                return redirect(f"{reverse('scenario-detail', args=[scenario.pk])}#inject-row-{inject.pk}")
            message = gettext("Inject %(sequence)s saved.") % {"sequence": inject.sequence}
            response = _rows(request, scenario, message, focus=(inject.pk, "edit"))
            return reswap(retarget(response, "#msel-body"), "innerHTML")
    return render(request, template, {"scenario": scenario, "inject": inject, "form": form}, status=400)


@require_POST
@planner_required
def delete_inject(request, scenario_id, inject_id):
    scenario = _scenario(scenario_id)
    inject = _inject(scenario, inject_id)
    sequence, title = inject.sequence, inject.title
    scenarios.delete_inject(inject=inject, by=request.user)
    if not request.htmx:
        return redirect("scenario-detail", scenario.pk)
    return _rows(
        request, scenario, gettext("Inject %(sequence)s deleted: %(title)s.") % {"sequence": sequence, "title": title}
    )


@require_POST
@planner_required
def move_inject(request, scenario_id, inject_id, direction):
    scenario = _scenario(scenario_id)
    inject = _inject(scenario, inject_id)
    if direction not in scenarios.MOVES:
        raise Http404(gettext("Move an inject up or down."))
    try:
        other = scenarios.move_inject(inject=inject, direction=direction, by=request.user)
    except ServiceError as error:
        if not request.htmx:
            return render(request, "exercises/refused.html", {"message": error.message}, status=error.status)
        response = _rows(request, scenario, error.message)
        response.status_code = error.status
        return response
    if not request.htmx:
        return redirect(f"{reverse('scenario-detail', args=[scenario.pk])}#inject-row-{inject.pk}")
    inject.refresh_from_db()
    if other is None:
        if direction == "up":
            message = gettext("Inject %(sequence)s is already first.") % {"sequence": inject.sequence}
        else:
            message = gettext("Inject %(sequence)s is already last.") % {"sequence": inject.sequence}
    else:
        if direction == "up":
            message = gettext(
                "Inject moved up: it is now number %(sequence)s at %(time)s, "
                "and “%(other)s” is number %(other_sequence)s."
            )
        else:
            message = gettext(
                "Inject moved down: it is now number %(sequence)s at %(time)s, "
                "and “%(other)s” is number %(other_sequence)s."
            )
        message %= {
            "sequence": inject.sequence,
            "time": inject.scenario_time,
            "other": other.title,
            "other_sequence": other.sequence,
        }
    return _rows(request, scenario, message, focus=(inject.pk, f"move-{direction}"))


class PlayerView:
    """A scenario inject as the player's inject card reads it.

    A scenario inject belongs to no exercise yet: the card's links point at exercise 0 and
    the preview disables its controls."""

    exercise_id = 0

    def __init__(self, inject: ScenarioInject):
        self._inject = inject

    def __getattr__(self, name):
        return getattr(self._inject, name)


@require_GET
@planner_required
def preview_inject(request, scenario_id, inject_id):
    scenario = _scenario(scenario_id)
    inject = _inject(scenario, inject_id)
    context = {
        "scenario": scenario,
        "inject": inject,
        "player_inject": PlayerView(inject),
        "addressees": ", ".join(team.code for team in inject.teams.all()),
        "release": {"exercise_time": inject.offset},
        "acks": {},
    }
    template = f"{MSEL}#preview" if request.htmx else "scenarios/preview.html"
    return render(request, template, context)
