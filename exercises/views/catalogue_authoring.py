"""A scenario's space catalogue in the scenario editor: exercise planners only.

Thin views like the MSEL editor's: check the user may author, validate with a form, call
services.catalogue_authoring, render. With htmx a view returns the catalogue section it changed;
without, it redirects to the scenario's page (or shows the form again with its errors).
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from exercises.forms_scenarios import OrbitEpochForm, SpaceObjectForm
from exercises.models import Scenario
from exercises.services import ServiceError, catalogue_authoring
from exercises.services.catalogue_authoring import InvalidObject
from exercises.views.scenarios import planner_required

SECTION = "scenarios/_catalogue.html"
FORM_PAGE = "scenarios/object_form_page.html"


def _scenario(scenario_id) -> Scenario:
    return get_object_or_404(Scenario, pk=scenario_id)


def catalogue_context(scenario: Scenario, **extra) -> dict:
    """What the catalogue section of a scenario's page shows."""
    return {
        "scenario": scenario,
        "catalogue": [(obj, obj.mean_elements()) for obj in scenario.catalogue.select_related("owner")],
        "object_form": extra.pop("object_form", None) or SpaceObjectForm(scenario=scenario),
        "epoch_form": extra.pop("epoch_form", None)
        or OrbitEpochForm(
            initial={"orbit_epoch": catalogue_authoring.format_orbit_epoch(scenario.orbit_epoch)},
            auto_id="orbit-epoch-%s",
        ),
        **extra,
    }


def _section(request, scenario: Scenario, status: int = 200, **extra) -> HttpResponse:
    return render(request, SECTION, catalogue_context(scenario, **extra), status=status)


def _back(scenario: Scenario):
    return redirect(f"{reverse('scenario-detail', args=[scenario.pk])}#catalogue")


def _refused(form, error: ServiceError):
    if isinstance(error, InvalidObject):
        for field, reason in error.problems:
            form.add_error(field if field in form.fields else None, reason)
    else:
        form.add_error(None, error.message)


@require_http_methods(["GET", "POST"])
@planner_required
def add_object(request, scenario_id):
    scenario = _scenario(scenario_id)
    if request.method == "GET":
        return render(request, FORM_PAGE, {"scenario": scenario, "form": SpaceObjectForm(scenario=scenario)})
    form = SpaceObjectForm(request.POST, scenario=scenario)
    if form.is_valid():
        try:
            obj = catalogue_authoring.add_object(scenario=scenario, values=form.object_values(), by=request.user)
        except ServiceError as error:
            _refused(form, error)
        else:
            if not request.htmx:
                return _back(scenario)
            status = gettext("%(name)s added to the catalogue.") % {"name": obj.name}
            return _section(request, scenario, catalogue_status=status, added=obj.pk)
    if request.htmx:
        return _section(request, scenario, status=400, object_form=form, open_form=True)
    return render(request, FORM_PAGE, {"scenario": scenario, "form": form}, status=400)


@require_http_methods(["GET", "POST"])
@planner_required
def edit_object(request, scenario_id, object_id):
    scenario = _scenario(scenario_id)
    obj = get_object_or_404(scenario.catalogue, pk=object_id)
    if request.method == "GET":
        form = SpaceObjectForm(scenario=scenario, space_object=obj)
        return render(request, FORM_PAGE, {"scenario": scenario, "form": form})
    form = SpaceObjectForm(request.POST, scenario=scenario, space_object=obj)
    if form.is_valid():
        try:
            catalogue_authoring.change_object(space_object=obj, values=form.object_values(), by=request.user)
        except ServiceError as error:
            _refused(form, error)
        else:
            return _back(scenario)
    return render(request, FORM_PAGE, {"scenario": scenario, "form": form}, status=400)


@require_POST
@planner_required
def delete_object(request, scenario_id, object_id):
    scenario = _scenario(scenario_id)
    obj = get_object_or_404(scenario.catalogue, pk=object_id)
    name = obj.name
    try:
        catalogue_authoring.delete_object(space_object=obj, by=request.user)
    except ServiceError as error:
        if request.htmx:
            return _section(request, scenario, status=error.status, catalogue_error=error.message)
        return render(request, "exercises/refused.html", {"message": error.message}, status=error.status)
    if not request.htmx:
        return _back(scenario)
    return _section(
        request, scenario, catalogue_status=gettext("%(name)s deleted from the catalogue.") % {"name": name}
    )


@require_POST
@planner_required
def set_orbit_epoch(request, scenario_id):
    scenario = _scenario(scenario_id)
    form = OrbitEpochForm(request.POST, auto_id="orbit-epoch-%s")
    if form.is_valid():
        scenario = catalogue_authoring.set_orbit_epoch(
            scenario=scenario, orbit_epoch=form.cleaned_data["orbit_epoch"], by=request.user
        )
        if not request.htmx:
            return _back(scenario)
        epoch = catalogue_authoring.format_orbit_epoch(scenario.orbit_epoch)
        if epoch:
            status = gettext("Orbit epoch of STARTEX: %(epoch)s.") % {"epoch": epoch}
        else:
            status = gettext("Orbit epoch of STARTEX: none.")
        return _section(request, scenario, catalogue_status=status)
    if request.htmx:
        return _section(request, scenario, status=400, epoch_form=form)
    return render(request, "exercises/refused.html", {"message": " ".join(form.errors["orbit_epoch"])}, status=400)
