// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // "Select all" checkbox of the inbox (approve several at once).
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var name = all.getAttribute("data-select-all");
    all.addEventListener("change", function () {
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
  // "Add a row" under a table of rows: copies the last row with the next index.
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var name = button.getAttribute("data-add-row");
    var body = document.querySelector('table[data-rows="' + name + '"] tbody');
    if (!body) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr");
      var last = rows[rows.length - 1];
      var index = rows.length;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input, select, textarea, label").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/([.-])\d+([.-])/, "$1" + index + "$2")); }
        });
        if (el.tagName !== "LABEL") { el.value = ""; el.removeAttribute("aria-invalid"); }
      });
      copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
      body.appendChild(copy);
      var first = copy.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
  // Irreversible actions ("Close the case") ask once more before the form is sent.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // A refusal ground matters only when the decision is "reject": show it then.
  document.querySelectorAll("form.task-form").forEach(function (form) {
    var decisions = form.querySelectorAll('input[type=radio][name$="decision"]');
    if (!decisions.length) { return; }
    var grounds = form.querySelectorAll('[data-field$="refusal_ground"]');
    function sync() {
      var chosen = form.querySelector('input[type=radio][name$="decision"]:checked');
      var reject = !chosen || chosen.value !== "approve";
      grounds.forEach(function (el) { el.hidden = !reject; });
    }
    decisions.forEach(function (radio) { radio.addEventListener("change", sync); });
    sync();
  });
  // A file picker styled as a button shows the chosen file's name.
  document.querySelectorAll(".file-pick input[type=file]").forEach(function (input) {
    var name = input.parentNode.querySelector("[data-file-name]");
    input.addEventListener("change", function () {
      if (name && input.files.length) {
        name.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      }
    });
  });
})();
// The documents block of a case or task page refreshes itself while a background step
// makes a document or its PDF (data-pending="1"): it asks its data-documents-url every few
// seconds and puts the answer in its place; it stops once nothing is pending (or after a while).
(function () {
  "use strict";
  var PERIOD = 3000, LIMIT = 200;
  function watch(block, rounds) {
    if (!block || block.getAttribute("data-pending") !== "1" || rounds >= LIMIT || !window.fetch) { return; }
    window.setTimeout(function () {
      var url = block.getAttribute("data-documents-url");
      window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          var holder = document.createElement("div");
          holder.innerHTML = answer && typeof answer.html === "string" ? answer.html : "";
          var fresh = holder.querySelector("[data-documents-url]");
          if (!fresh) { watch(block, rounds + 1); return; }
          block.parentNode.replaceChild(fresh, block);
          watch(fresh, rounds + 1);
        })
        // offline for a moment (or signed out): try again later; a reload still shows them
        .catch(function () { watch(block, rounds + 1); });
    }, PERIOD);
  }
  document.querySelectorAll("[data-documents-url]").forEach(function (block) { watch(block, 0); });
})();
// An import's page follows its import (data-finished="0"): it asks its data-import-url every
// two seconds, moves the bar and the words, and reloads the page once the import has ended
// (the counts and the report are then on it).
(function () {
  "use strict";
  var PERIOD = 2000, LIMIT = 1800;
  function watch(block, rounds) {
    if (!block || block.getAttribute("data-finished") !== "0" || rounds >= LIMIT || !window.fetch) { return; }
    window.setTimeout(function () {
      window.fetch(block.getAttribute("data-import-url"),
                   { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (!state) { watch(block, rounds + 1); return; }
          if (state.finished) { window.location.reload(); return; }
          var bar = block.querySelector("[data-import-bar]");
          var words = block.querySelector("[data-import-status]");
          var percent = block.querySelector("[data-import-percent]");
          if (bar) { bar.value = state.percent; bar.textContent = state.percent + " %"; }
          if (words) { words.textContent = state.status_text; words.className = "status st-import-" + state.status; }
          if (percent) { percent.textContent = state.percent + " %"; }
          watch(block, rounds + 1);
        })
        .catch(function () { watch(block, rounds + 1); });
    }, PERIOD);
  }
  document.querySelectorAll("[data-import-url]").forEach(function (block) { watch(block, 0); });
})();

// A grade sheet's points: the letter and grade points of the scale (data-scale) shown as the
// points are typed; the server computes them again when the draft is saved.
(function () {
  "use strict";
  document.querySelectorAll("table[data-scale]").forEach(function (table) {
    var bands;
    // a decimal comma in Russian and Kazakh, as the server prints it (labels.decimal_text)
    function decimal(value) {
      var text = value.toFixed(2);
      return document.documentElement.lang === "en" ? text : text.replace(".", ",");
    }
    try { bands = JSON.parse(table.getAttribute("data-scale")); } catch (e) { return; }
    function band(value) {
      for (var i = 0; i < bands.length; i++) {
        if (value >= bands[i].min && value <= bands[i].max) { return bands[i]; }
      }
      return null;
    }
    table.querySelectorAll("input[data-points]").forEach(function (input) {
      input.addEventListener("input", function () {
        var row = input.closest("tr");
        var text = input.value.trim();
        var value = Number(text);
        var found = text !== "" && Number.isInteger(value) ? band(value) : null;
        row.querySelector("[data-letter]").textContent = found ? found.letter : "—";
        row.querySelector("[data-gp]").textContent = found ? decimal(found.points) : "—";
      });
    });
  });
})();
