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
    // The one-use key belongs to the real submit: an autosave claiming it would have
    // "Continue" answered with the autosave's empty answer (motcua.core.once).
    data.delete("_once");
    fetch(form.getAttribute("action") || location.href, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (response) {
      // The answer says how long the session has left (session.js).
      if (response.ok) document.dispatchEvent(new CustomEvent("motcua:saved", {detail: response}));
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

/* Fields that apply only for one answer of another field on the page: shown without
   JavaScript (their label says when they apply), hidden here until they apply. */
(function () {
  var blocks = document.querySelectorAll("[data-show-name]");
  if (!blocks.length) return;
  function update() {
    blocks.forEach(function (block) {
      var name = block.getAttribute("data-show-name");
      var wanted = block.getAttribute("data-show-values").split(" ");
      var checked = document.querySelector('input[name="' + name + '"]:checked');
      var value = checked ? checked.value : "";
      var match = wanted.indexOf(value) >= 0;
      if (block.hasAttribute("data-show-not")) match = value !== "" && !match;
      block.hidden = !match && !block.classList.contains("has-error");
    });
  }
  document.addEventListener("change", update);
  update();
})();

/* A date read back in words while it is typed: 12-4-98 → "12 tháng 4 năm 1998". The
   server reads it the same way (motcua.catalog.formdefs.parse_date). */
(function () {
  var inputs = document.querySelectorAll("input[data-date-words]");
  if (!inputs.length) return;
  var english = document.documentElement.lang === "en";
  var months = ["January", "February", "March", "April", "May", "June", "July",
                "August", "September", "October", "November", "December"];
  function parse(text) {
    var parts = text.trim().match(/\d+/g);
    if (parts && parts.length === 1 && (parts[0].length === 6 || parts[0].length === 8)) {
      parts = [parts[0].slice(0, 2), parts[0].slice(2, 4), parts[0].slice(4)];
    }
    if (!parts || parts.length !== 3 || /[^\d\s\/.\-]/.test(text.trim())) return null;
    var d = +parts[0], m = +parts[1], y = +parts[2];
    if (parts[0].length === 4) { y = +parts[0]; d = +parts[2]; }
    else if (parts[2].length === 2) {
      var now = new Date().getFullYear();
      y += 2000 + y <= now ? 2000 : 1900;
    } else if (parts[2].length !== 4) return null;
    var date = new Date(y, m - 1, d);
    if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d) return null;
    return english ? d + " " + months[m - 1] + " " + y : d + " tháng " + m + " năm " + y;
  }
  inputs.forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-date-words"));
    if (!out) return;
    var prefix = english ? "That is: " : "Tức là: ";
    input.addEventListener("input", function () {
      var words = parse(input.value);
      out.textContent = words ? prefix + words : "";
    });
  });
})();

/* Photos shrunk in the browser before they are sent (a phone photo of 4–8 MB becomes
   a few hundred kB: quicker on a weak connection). Without JavaScript the server takes
   files up to the limit and shrinks them itself. */
(function () {
  var input = document.querySelector('input[type="file"][data-max-mb]');
  if (!input || !window.DataTransfer || !window.HTMLCanvasElement) return;
  var MAX_SIDE = 2000;
  function shrink(file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return resolve(file);
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        var scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
        if (scale === 1 && file.size < 1024 * 1024) return resolve(file);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          var name = file.name.replace(/\.\w+$/, "") + ".jpg";
          resolve(new File([blob], name, {type: "image/jpeg"}));
        }, "image/jpeg", 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }
  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files);
    input.setAttribute("aria-busy", "true");
    Promise.all(files.map(shrink)).then(function (smaller) {
      var list = new DataTransfer();
      smaller.forEach(function (f) { list.items.add(f); });
      input.files = list.files;
      input.removeAttribute("aria-busy");
      input.dataset.shrunk = String(smaller.reduce(function (n, f) { return n + f.size; }, 0));
    });
  });
})();

/* After an error the page opens on the list of problems (autofocus does it too). */
(function () {
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) summary.focus();
})();
