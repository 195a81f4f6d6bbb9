// The MSEL timeline (templates/exercises/_timeline.html): moves the current-time line and the countdown to
// the next due inject between renders. The server sends the exercise time at render and the speed; the page
// advances it from the moment it received them, as the clock does, so client clock skew does not matter.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function duration(seconds) {
    var total = Math.max(0, Math.ceil(seconds));
    return pad(Math.floor(total / 3600)) + ":" + pad(Math.floor(total % 3600 / 60)) + ":" + pad(total % 60);
  }

  // The exercise time now, from the figures an element carries (data-elapsed, -speed, -status) and the moment
  // the page received it.
  function exerciseTime(element) {
    if (!element.dataset.receivedAt) { element.dataset.receivedAt = String(performance.now()); }
    var elapsed = parseFloat(element.dataset.elapsed);
    if (element.dataset.status === "running") {
      elapsed += (performance.now() - parseFloat(element.dataset.receivedAt)) / 1000 * parseFloat(element.dataset.speed);
    }
    return elapsed;
  }

  function update() {
    document.querySelectorAll("#timeline[data-span]").forEach(function (timeline) {
      // The console's clock is pushed the moment it changes (the timeline up to a second later): follow it.
      var clock = document.getElementById("exercise-clock");
      var elapsed = exerciseTime(clock && clock.dataset.elapsed ? clock : timeline);
      var percent = Math.min(100, Math.max(0, elapsed / parseFloat(timeline.dataset.span) * 100));
      var line = timeline.querySelector(".timeline-now");
      if (line) { line.style.setProperty("--at", percent.toFixed(3) + "%"); }
      var countdown = timeline.querySelector(".timeline-countdown[data-due]");
      if (countdown) {
        var left = parseFloat(countdown.dataset.due) - elapsed;
        // The words come from base.html, translated: body[data-label-due-in] ("in {time}"), [data-label-due-now].
        var words = document.body.dataset;
        var text = left > 0 ? (words.labelDueIn || "in {time}").replace("{time}", duration(left)) : (words.labelDueNow || "due now");
        if (countdown.textContent !== text) { countdown.textContent = text; }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    update();
    setInterval(update, 250);
  });
})();
