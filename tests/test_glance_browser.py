"""Seeing the exercise at a glance, in a real browser: the timeline moves with the clock and its marks change
on release; the console fits a laptop and a desktop screen with seven teams; a whole short exercise leaves
the browser console clean (no JavaScript or htmx errors, no failed requests); and axe-core finds no serious
or critical accessibility violation on the pages people use."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from exercises.models import Participant, ProtocolStep, Scenario, Team
from exercises.services.clock import change_status
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.injects import set_hold
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from exercises.services.sharing import share_assessment
from tests.conftest import make_user, small_scenario
from tests.conjunctions import plant_conjunction
from tests.test_authorization_matrix import orbit_pictures_world
from tests.test_live_exercise_browser import wait_for_socket

pytestmark = pytest.mark.browser

# Every error event htmx and its websocket extension fire; each one is also reported on the page's console.
HTMX_ERRORS = [
    "htmx:oobErrorNoTarget",
    "htmx:targetError",
    "htmx:swapError",
    "htmx:responseError",
    "htmx:sendError",
    "htmx:onLoadError",
    "htmx:syntax:error",
    "htmx:historyCacheError",
    "htmx:wsError",
]
LISTEN_FOR_HTMX_ERRORS = "".join(
    f"document.addEventListener({name!r}, function (event) {{ console.error({name!r} + ' (recorded)'); }});"
    for name in HTMX_ERRORS
)


class Problems:
    """What went wrong on a set of pages: console errors, uncaught exceptions, failed requests."""

    def __init__(self):
        self.found = []

    def watch(self, page):
        page.add_init_script(LISTEN_FOR_HTMX_ERRORS)
        page.on("console", lambda message: message.type == "error" and self.found.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.found.append(f"exception: {error}"))
        page.on(
            "response",
            lambda response: response.status >= 400 and self.found.append(f"{response.status} {response.url}"),
        )
        page.on("requestfailed", self.request_failed)
        return page

    def request_failed(self, request):
        if request.failure != "net::ERR_ABORTED":  # the page went on to another before this one had loaded
            self.found.append(f"failed {request.url}: {request.failure}")


def line_position(page) -> float:
    return page.locator("#timeline .timeline-now").evaluate("line => line.getBoundingClientRect().left")


def test_the_timeline_line_moves_with_the_clock_and_a_mark_changes_state_on_release(personas, log_in, live_daphne):
    console = log_in(personas.facilitator)
    console.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/")
    evaluation = log_in(personas.evaluator)
    evaluation.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/evaluation/")
    wait_for_socket(console)
    mark = console.locator(f"#timeline-mark-{personas.usa_only.pk}")
    expect(mark).to_have_attribute("data-state", "scheduled")
    expect(console.locator("#timeline-next")).to_contain_text("Next: inject 1")
    expect(console.locator(".timeline-countdown")).to_have_text("in 00:05:00")

    console.get_by_role("button", name="Start exercise").click()
    expect(console.get_by_role("button", name="Pause exercise")).to_be_visible(timeout=3000)  # the new controls
    console.locator("#clock-speed").select_option("60")
    console.get_by_role("button", name="Set speed").click()
    expect(console.get_by_role("timer", name="Exercise time")).to_contain_text("60×", timeout=2000)
    expect(console.locator("#timeline")).to_have_attribute("data-speed", "60", timeout=3000)
    before = line_position(console)
    console.wait_for_timeout(1500)  # a minute and a half of exercise time: 5 % of the half-hour line
    assert line_position(console) > before + 10
    expect(console.locator(".timeline-countdown")).not_to_have_text("in 00:05:00")

    console.get_by_role("button", name="Release inject 1: Conjunction warning for USA-SAT 12").click()
    expect(mark).to_have_attribute("data-state", re.compile("released|late"), timeout=3000)
    expect(mark).to_have_class(re.compile("is-released"))
    expect(console.locator("#timeline-next")).to_contain_text("Next: inject 2", timeout=3000)

    # The evaluation page has no socket: its line moves on its own, and it fetches the marks again.
    evaluation.reload()
    before = line_position(evaluation)
    evaluation.wait_for_timeout(1500)
    assert line_position(evaluation) > before + 10
    expect(evaluation.locator(f"#timeline-mark-{personas.usa_only.pk}")).to_have_class(re.compile("is-released"))


@pytest.fixture
def seven_allies(personas):
    """An exercise of all seven teams, under way: every inject released, a response and a share or two."""
    teams = Team.objects.filter(code__in=["USA", "GBR", "CAN", "AUS", "NZL", "DEU", "FRA"])
    assert teams.count() == 7
    exercise = create_exercise(scenario=small_scenario("Seven allies"), name="Exercise Seven", teams=teams)
    add_participant(exercise=exercise, user=personas.facilitator, role=Participant.Role.FACILITATOR)
    players = {}
    for team in teams:
        players[team.code] = make_user(f"seven_{team.code.lower()}")
        add_participant(exercise=exercise, user=players[team.code], role=Participant.Role.PLAYER, team=team)
    plant_conjunction(exercise, exercise.injects.get(sequence=1))  # its card, pictures and the catalogue's
    orbit_pictures_world(exercise, exercise.injects.get(sequence=1))
    exercise = change_status(exercise=exercise, action="start", by=personas.facilitator)
    for inject in exercise.injects.order_by("sequence"):
        release_inject(inject=inject, by=personas.facilitator)
    to_all = exercise.injects.get(sequence=3)
    for code in ("USA", "DEU"):
        participant = exercise.participants.get(team_id=code)
        submit_response(
            participant=participant,
            inject=to_all,
            kind="assessment",
            text=f"{code} assesses the ASAT test as a deliberate act.",
            protocol_steps=[],
        )
        share_assessment(
            participant=participant,
            source=to_all,
            title=f"{code} assessment of the ASAT test",
            text="A deliberate, destructive test; debris crosses 500-800 km.",
            recipients=[team for team in teams if team.code != code],
            classification=to_all.classification,
            releasability=to_all.releasability,
        )
    return exercise


def test_the_evaluator_page_with_claims_to_adjudicate_fits_a_laptop_screen(running, log_in, live_daphne):
    """Each claimed step's adjudication form (verdict, note, button) wraps inside its column."""
    release_inject(inject=running.usa_only, by=running.facilitator)
    usa = running.exercise.participants.get(team_id="USA")
    submit_response(
        participant=usa,
        inject=running.usa_only,
        kind="action",
        text="Screened the conjunction and notified the owner operator and the allies.",
        protocol_steps=ProtocolStep.objects.filter(code__in=["CONJ-1", "CONJ-2"]),
    )
    evaluation = log_in(running.evaluator)
    evaluation.set_viewport_size({"width": 1366, "height": 768})
    evaluation.goto(f"{live_daphne.url}/exercises/{running.exercise.pk}/evaluation/")
    expect(evaluation.get_by_role("button", name="Adjudicate CONJ-2")).to_be_visible()
    scroll_width, inner_width = evaluation.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the evaluator page scrolls sideways: {scroll_width} > {inner_width}"


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_the_console_with_seven_teams_fits_the_screen_without_scrolling_sideways(
    personas, seven_allies, log_in, live_daphne, width, height
):
    console = log_in(personas.facilitator)
    console.set_viewport_size({"width": width, "height": height})
    console.goto(f"{live_daphne.url}/exercises/{seven_allies.pk}/")
    wait_for_socket(console)
    expect(console.locator("#delivery .matrix thead th")).to_have_count(8)  # the inject column and seven teams
    expect(console.locator("#sharing .matrix thead th")).to_have_count(8)

    scroll_width, inner_width = console.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the page scrolls sideways at {width}x{height}: {scroll_width} > {inner_width}"
    for panel in ("#delivery", "#sharing", "#timeline", "#msel-table"):
        right = console.locator(panel).evaluate("element => element.getBoundingClientRect().right")
        assert right <= inner_width, f"{panel} runs off the right edge at {width}x{height}"
    # A matrix wider than its panel scrolls inside it, its header row and first column kept in view.
    position = "th => getComputedStyle(th).position"
    assert console.locator("#delivery .matrix thead th").first.evaluate(position) == "sticky"
    assert console.locator("#delivery .matrix tbody th").first.evaluate(position) == "sticky"
    assert console.locator("#delivery").evaluate("div => getComputedStyle(div).overflowX") == "auto"


def test_a_whole_short_exercise_leaves_every_browser_console_clean(personas, log_in, live_daphne, browser):
    plant_conjunction(personas.exercise, personas.usa_only)  # a conjunction card, its CDM and pictures
    orbit_pictures_world(personas.exercise, personas.usa_only)
    problems = Problems()
    anonymous = browser.new_context()
    login = problems.watch(anonymous.new_page())
    login.goto(f"{live_daphne.url}/login/")
    expect(login.get_by_role("heading", name="Log in to Conjunction")).to_be_visible()
    icon = login.locator("link[rel=icon]").get_attribute("href")
    assert login.request.get(f"{live_daphne.url}{icon}").status == 200  # the page's icon is there

    console = problems.watch(log_in(personas.facilitator))
    usa = problems.watch(log_in(personas.usa_player))
    gbr = problems.watch(log_in(personas.gbr_player))
    evaluator = problems.watch(log_in(personas.evaluator))
    for page in (console, usa, gbr, evaluator):
        page.reload()  # watched from the first request on
        wait_for_socket(page)

    console.get_by_role("button", name="Start exercise").click()
    expect(usa.get_by_role("timer", name="Exercise time")).to_contain_text("Running", timeout=3000)
    console.get_by_role("button", name="Release inject 1: Conjunction warning for USA-SAT 12").click()
    expect(usa.get_by_role("heading", name="Conjunction warning for USA-SAT 12")).to_be_visible(timeout=3000)
    usa.get_by_role("button", name="Acknowledge inject 1: Conjunction warning for USA-SAT 12").click()
    expect(usa.locator("#inject-feed")).to_contain_text("Acknowledged by", timeout=3000)
    usa.get_by_text("Respond to this inject").click()
    usa.get_by_role("textbox", name="Your team's response").fill("USA will manoeuvre USA-SAT 12 at T+00:40.")
    usa.locator("#inject-feed").get_by_label("CONJ-2").check()
    usa.get_by_role("button", name="Submit response to inject 1").click()
    expect(console.locator("#response-feed")).to_contain_text("USA will manoeuvre USA-SAT 12", timeout=3000)

    console.get_by_role("button", name="Hold inject 2").click()
    expect(console.locator(f"#timeline-mark-{personas.gbr_only.pk}")).to_have_attribute(
        "data-state", "held", timeout=3000
    )
    console.get_by_role("button", name="Stop holding inject 2").click()
    expect(console.get_by_role("button", name="Hold inject 2")).to_be_visible(timeout=3000)  # its row, replaced
    console.get_by_role("button", name="Release inject 2: UK-only intelligence on the debris field").click()
    expect(gbr.get_by_role("heading", name="UK-only intelligence on the debris field")).to_be_visible(timeout=3000)
    console.get_by_role("button", name="Release inject 3: Direct-ascent ASAT test detected").click()
    expect(gbr.get_by_role("heading", name="Direct-ascent ASAT test detected")).to_be_visible(timeout=3000)

    console.get_by_label("Message", exact=True).fill("Exercise control: expect a press query at T+00:30.")
    console.get_by_role("button", name="Send message").click()
    expect(usa.locator("#message-feed")).to_contain_text("expect a press query", timeout=3000)

    gbr.get_by_role("link", name="Share an assessment from inject 3 with allies").click()
    gbr.get_by_label("Title").fill("GBR assessment of the ASAT test")
    gbr.get_by_label("Text").fill("A deliberate, destructive test.")
    gbr.locator("#id_recipients").get_by_label("United States").check()
    gbr.get_by_role("button", name="Share assessment").click()
    expect(usa.locator("#combined-picture")).to_contain_text("GBR assessment of the ASAT test", timeout=3000)
    expect(console.locator("#sharing")).to_contain_text("1", timeout=3000)

    evaluator.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/evaluation/")
    evaluator.get_by_label("Text").fill("USA acknowledged within a minute.")
    evaluator.get_by_role("button", name="Record observation").click()
    expect(evaluator.get_by_text("USA acknowledged within a minute.")).to_be_visible()

    for action in ("Pause exercise", "Resume exercise"):
        console.get_by_role("button", name=action).click()
        expect(console.locator("#clock-controls")).not_to_contain_text(action, timeout=3000)
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="End exercise").click()
    expect(console.get_by_role("timer", name="Exercise time")).to_contain_text("Ended", timeout=3000)
    for path in ("hot-wash/", "report/", "improvement-plan/"):
        console.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/{path}")
    usa.reload()
    console.wait_for_timeout(1500)  # the last pushes and coalesced views arrive

    anonymous.close()
    assert problems.found == []


AXE_PAGES = {
    "login": (None, "/login/"),
    "console": ("facilitator", "/exercises/{exercise}/"),
    "team page": ("usa_player", "/exercises/{exercise}/team/"),
    "evaluation": ("evaluator", "/exercises/{exercise}/evaluation/"),
    "scenario editor": ("facilitator", "/scenarios/{scenario}/"),
    "report": ("facilitator", "/exercises/{exercise}/report/"),
    "hot wash": ("facilitator", "/exercises/{exercise}/hot-wash/"),
}


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_axe_finds_no_serious_or_critical_violation(personas, log_in, live_daphne, browser, name):
    exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    plant_conjunction(exercise, personas.usa_only)  # a conjunction card with its pictures, a debris cloud
    orbit_pictures_world(exercise, personas.usa_only)
    for inject in (personas.usa_only, personas.to_all):  # cards, rows, delivered and not delivered cells
        release_inject(inject=inject, by=personas.facilitator)
    usa = exercise.participants.get(user=personas.usa_player)
    submit_response(  # a claimed step for the evaluator to adjudicate
        participant=usa,
        inject=personas.to_all,
        kind="assessment",
        text="A deliberate test.",
        protocol_steps=personas.to_all.protocol_steps.all(),
    )
    share_assessment(
        participant=usa,
        source=personas.to_all,
        title="USA assessment of the ASAT test",
        text="A deliberate, destructive test.",
        recipients=Team.objects.filter(code="GBR"),
        classification=personas.to_all.classification,
        releasability=personas.to_all.releasability,
    )
    set_hold(inject=personas.gbr_only, held=True, by=personas.facilitator)
    who, path = AXE_PAGES[name]
    scenario = Scenario.objects.get(name="Alpha scenario")
    if who is None:
        context = browser.new_context()
        page = context.new_page()
    else:
        page = log_in(getattr(personas, who))
    page.goto(live_daphne.url + path.format(exercise=exercise.pk, scenario=scenario.pk))
    page.wait_for_load_state("networkidle")
    if name in ("console", "team page"):
        wait_for_socket(page)
    if name == "console":  # the orbit pictures and the debris section are there too
        expect(page.get_by_role("img", name="Altitude of the allied satellites over exercise time")).to_be_visible()

    results = Axe().run(page)

    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], "\n".join(serious)
    if who is None:
        context.close()


def focus_by_tab(page, name, presses=80):
    """Press Tab until the element named `name` has the focus; its outline shows where the focus is."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const style = getComputedStyle(e);"
            " const label = e.labels && e.labels.length ? e.labels[0].textContent.trim() : e.textContent.trim();"
            " return [e.getAttribute('aria-label') || label, style.outlineStyle, style.outlineWidth]; }"
        )
        if focused[0] == name:
            assert focused[1] != "none" and focused[2] != "0px", f"{name} has the focus but no visible outline"
            return
    raise AssertionError(f"{name} was never reached with Tab")


def test_a_facilitator_runs_the_console_from_the_keyboard_and_sees_where_the_focus_is(personas, log_in):
    console = log_in(personas.facilitator)
    wait_for_socket(console)

    focus_by_tab(console, "Skip to the content")
    expect(console.get_by_role("link", name="Skip to the content")).to_be_in_viewport()
    focus_by_tab(console, "Start exercise")
    console.keyboard.press("Enter")
    expect(console.get_by_role("timer", name="Exercise time")).to_contain_text("Running", timeout=3000)
    focus_by_tab(console, "Release inject 3: Direct-ascent ASAT test detected")
    console.keyboard.press("Enter")
    expect(console.locator(f"#inject-row-{personas.to_all.pk}")).to_contain_text("Released", timeout=3000)
    expect(console.locator(f"#timeline-mark-{personas.to_all.pk}")).to_have_class(re.compile("is-released"))


def test_a_player_acknowledges_and_responds_from_the_keyboard(running, log_in):
    release_inject(inject=running.usa_only, by=running.facilitator)
    usa = log_in(running.usa_player)
    wait_for_socket(usa)

    focus_by_tab(usa, "Acknowledge inject 1: Conjunction warning for USA-SAT 12")
    usa.keyboard.press("Enter")
    expect(usa.locator("#inject-feed")).to_contain_text("Acknowledged by", timeout=3000)
    focus_by_tab(usa, "Respond to this inject")
    usa.keyboard.press("Enter")
    text = usa.get_by_role("textbox", name="Your team's response")
    expect(text).to_be_visible(timeout=3000)
    focus_by_tab(usa, "Your team's response")
    usa.keyboard.type("USA will manoeuvre USA-SAT 12.")
    focus_by_tab(usa, "Submit response to inject 1")
    usa.keyboard.press("Enter")
    expect(usa.locator("#inject-feed").get_by_role("status")).to_contain_text("Response recorded", timeout=3000)
