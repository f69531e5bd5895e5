/* Session-expiry warning (WCAG 2.2.1): a signed-in session ends data-idle seconds after
   the page loaded unless another request renews it; the server says how long is left in
   the X-Session-Expires-In header of the answers to the page's scripts (the "continue"
   button here, the autosave in filing.js). A few minutes before, a dialog offers
   "Continue the session", which posts to the keepalive endpoint; when the time is up it says so, with a link to sign in
   again and come back here. Without JavaScript nothing shows: answers are saved at every
   step and signing in again returns to the page. */
(function () {
  var box = document.getElementById("session-warning");
  var idle = box && parseInt(box.getAttribute("data-idle"), 10) * 1000;
  if (!idle || !window.fetch || !window.FormData) return;
  var lead = Math.min(300000, idle / 2), deadline, ended = false, sending = false;
  var form = box.querySelector("form");
  var parts = box.querySelectorAll("[data-state]");
  // Signing in again comes back here (the dialog's HTML is the same on every page).
  var again = box.querySelector("[data-state=ended] a");
  var here = encodeURIComponent(location.pathname + location.search).replace(/%2F/g, "/");
  again.setAttribute("href", again.getAttribute("href") + "?next=" + here);

  function show(state) {
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].getAttribute("data-state") !== state;
    }
    box.setAttribute("aria-labelledby", "session-" + state + "-title");
    box.setAttribute("aria-describedby", "session-" + state + "-text");
    if (box.open) return;
    if (box.showModal) box.showModal(); else box.setAttribute("open", "");
    var first = box.querySelector("[data-state='" + state + "'] button, [data-state='" + state + "'] a");
    if (first) first.focus();
  }
  function hide() {
    if (box.close) { if (box.open) box.close(); } else box.removeAttribute("open");
  }
  function restart(seconds) { deadline = Date.now() + seconds * 1000; }
  function left(response) {  // seconds, or NaN when the answer does not say
    return parseInt(response && response.headers.get("X-Session-Expires-In"), 10);
  }
  function end() {
    ended = true;
    hide();  // shown again, so that the new text is announced
    show("ended");
  }
  function tick() {
    if (ended) return;
    var left = deadline - Date.now();
    if (left <= 0) end();
    else if (left <= lead) show("warning");
  }
  function keep(event) {
    if (event) event.preventDefault();
    if (sending || ended) return;
    sending = true;
    fetch(form.getAttribute("action"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (response) {
      sending = false;
      if (response.ok) { restart(left(response) || idle / 1000); hide(); } else end();
    }, function () { sending = false; });
  }
  form.addEventListener("submit", keep);
  box.addEventListener("cancel", function (event) { event.preventDefault(); keep(); });
  // A request made by another script on the page (the autosave) renews the session too.
  document.addEventListener("motcua:saved", function (event) {
    var seconds = left(event.detail);
    if (seconds > 0) restart(seconds);
  });
  document.addEventListener("visibilitychange", tick);
  restart(idle / 1000);
  setInterval(tick, Math.min(15000, lead / 4));
})();
