/* Autosave of the current question while typing (progressive enhancement: the form
   works without it). Posts the page's fields with action=autosave a few seconds after
   the last change. */
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var timer = null, dirty = false;
  function save() {
    if (!dirty) return;
    dirty = false;
    var data = new FormData(form);
    data.set("action", "autosave");
    fetch(form.getAttribute("action") || location.href, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (response) {
      if (response.ok) document.dispatchEvent(new Event("motcua:saved"));
    }, function () { dirty = true; });
  }
  function changed() {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { clearTimeout(timer); dirty = false; });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save();
  });
})();
