// Conjunction's small client script: the ticking exercise clock, and de-duplication of
// items that arrive both in the state sent on (re)connect and in a push.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function formatExerciseTime(seconds) {
    var total = Math.max(0, Math.floor(seconds));
    return "T+" + pad(Math.floor(total / 3600)) + ":" + pad(Math.floor(total % 3600 / 60)) + ":" + pad(total % 60);
  }

  // The server sends the exercise time when it rendered the clock; the page advances it
  // from that moment by the speed factor, so client clock skew does not matter.
  function tick() {
    document.querySelectorAll("#exercise-clock").forEach(function (clock) {
      if (!clock.dataset.receivedAt) { clock.dataset.receivedAt = String(performance.now()); }
      if (clock.dataset.status !== "running") { return; }
      var elapsed = parseFloat(clock.dataset.elapsed) +
        (performance.now() - parseFloat(clock.dataset.receivedAt)) / 1000 * parseFloat(clock.dataset.speed);
      var label = clock.querySelector(".clock-time");
      if (label) { label.textContent = formatExerciseTime(elapsed); }
    });
  }

  // Keep the first element of each id inside a feed: a push may repeat what the state had.
  function dedupe() {
    document.querySelectorAll("#inject-feed, #response-feed, #delivery-rows").forEach(function (feed) {
      var seen = {};
      Array.prototype.slice.call(feed.children).forEach(function (child) {
        if (!child.id) { return; }
        if (seen[child.id]) { child.remove(); } else { seen[child.id] = true; }
      });
    });
  }

  // The page's words, in its language: base.html renders them (translated) as body[data-label-*].
  function label(name, english) { return document.body.dataset[name] || english; }

  // Connection status, for people (the header badge) and for tests (body[data-connection]).
  function setConnection(state, text) {
    document.body.dataset.connection = state;
    var badge = document.getElementById("connection");
    if (badge) { badge.textContent = text; badge.dataset.state = state; }
  }

  // Console filters of the responses feed (by team, by inject); re-applied to pushed items.
  function applyFilters() {
    var feed = document.getElementById("response-feed");
    if (!feed) { return; }
    var wanted = {};
    document.querySelectorAll("select[data-filter]").forEach(function (select) { wanted[select.dataset.filter] = select.value; });
    Array.prototype.forEach.call(feed.querySelectorAll(".response"), function (item) {
      item.hidden = (wanted.team && item.dataset.team !== wanted.team) || (wanted.inject && item.dataset.inject !== wanted.inject);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-filter]")) { applyFilters(); }
  });

  // Forms marked data-reset-on-success are cleared once the server accepted them.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) { form.reset(); }
  });

  // Every 30 s the page tells the server how many items it shows; the server re-joins its groups
  // and, if anything was lost on the way (a restarted Redis, a dropped push), sends the state again.
  var socket = null;
  function countOf(selector) { return document.querySelectorAll(selector).length; }
  function sendSyncReport() {
    if (!socket || document.body.dataset.connection !== "live") { return; }
    var counts = {
      responses: countOf("#response-feed > .response"),
      messages: countOf("#message-feed > .message"),
      assessments: countOf("#combined-picture > .assessment")
    };
    if (document.getElementById("inject-feed")) { counts.injects = countOf("#inject-feed > .inject"); }
    if (document.getElementById("msel-body")) { counts.released = countOf("#msel-body > tr.released"); }
    socket.send(JSON.stringify({type: "sync", counts: counts}));
  }
  setInterval(sendSyncReport, 30000);

  document.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    setConnection("open", label("labelConnecting", "Connecting…"));
  });
  // The server asks the page to reconnect with 4012 (channel layer lost) or 4013 (try again
  // later); daphne cannot send the ws extension's own codes. 44xx refusals are final.
  var retries = 0;
  document.addEventListener("htmx:wsOpen", function () { retries = 0; });
  document.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event && event.detail.event.code;
    if (code === 4012 || code === 4013) {
      var delay = Math.min(30000, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
      retries += 1;
      setTimeout(event.detail.socketWrapper.reconnect, delay);
    }
    if (code >= 4400 && code < 4500) {
      setConnection("closed", code === 4401 ? label("labelLoggedOut", "Logged out") : label("labelDisconnected", "Disconnected"));
    } else {
      setConnection("closed", label("labelReconnecting", "Reconnecting…"));
    }
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    dedupe();
    applyFilters();
    if (document.body.dataset.connection !== "live") { setConnection("live", label("labelLive", "Live")); }
  });
  // Refusals (400 with errors beside the fields, 403, 404, 409, 429, 503) are answers meant for
  // the page: htmx-config swaps them in. Under DEBUG, django-htmx's debug script would instead
  // replace the whole page with them, so stop them at the body; a 500 still reaches it.
  function keepRefusalsInPlace(event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && [400, 403, 404, 409, 429, 503].indexOf(xhr.status) >= 0) { event.stopPropagation(); }
  }

  // After the server went away (a crash, a restart, a deploy) the ws extension retries with full jitter;
  // its own cap grows to 64 s, so a page that missed a few attempts during a 3-s restart waited up to
  // 16 s more. Cap it at 4 s: every page is back within seconds of the server listening again, and a
  // long outage costs a refused connect per page every 2 s on average.
  var RECONNECT_CAP_EXPONENT = 2;
  function reconnectDelay(retryCount) {
    return Math.random() * 1000 * Math.pow(2, Math.min(retryCount, RECONNECT_CAP_EXPONENT));
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) { htmx.config.wsReconnectDelay = reconnectDelay; }
    document.body.addEventListener("htmx:beforeOnLoad", keepRefusalsInPlace);
    tick();
    setInterval(tick, 250);
  });
})();
