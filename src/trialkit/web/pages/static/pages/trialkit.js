/* Progressive enhancement: pages work without this script.
 * An element with data-refresh="URL" is replaced by the fragment that URL returns whenever a
 * field inside the form named by data-refresh-form changes (e.g. the screening checklist).
 * A form with data-confirm asks before submitting (e.g. irreversible decisions).
 * A refreshed fragment holding data-not-asked="item ..." hides those conditional items of the
 * form (clearing what they held, which the save would refuse) and shows the others.
 * A form with data-unsaved-warning makes the browser ask before leaving the page once something
 * was typed in it and not yet submitted (an eCRF typed from a source document). */
(function () {
  "use strict";
  function refresh(target) {
    var form = document.getElementById(target.dataset.refreshForm);
    var url = target.dataset.refresh;
    var body = form ? new URLSearchParams(new FormData(form)).toString() : "";
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + body, {
      headers: {"X-Fragment": "1"}, credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null) { target.innerHTML = html; applyAsked(target, form); }
    });
  }
  function applyAsked(target, form) {
    var holder = target.querySelector("[data-not-asked]");
    if (!form || !holder) { return; }
    var notAsked = holder.dataset.notAsked.split(" ").filter(Boolean);
    form.querySelectorAll("[data-item]").forEach(function (field) {
      var hide = notAsked.indexOf(field.dataset.item) >= 0;
      if (hide && !field.hidden) {
        field.querySelectorAll("input, select, textarea").forEach(function (control) {
          if (control.type === "radio") { control.checked = control.value === ""; }
          else { control.value = ""; }
        });
      }
      field.hidden = hide;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(function (target) {
      var form = document.getElementById(target.dataset.refreshForm);
      if (!form) { return; }
      var timer = null;
      form.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { refresh(target); }, 400);
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
    var unsaved = null;
    document.querySelectorAll("form[data-unsaved-warning]").forEach(function (form) {
      form.addEventListener("input", function () { unsaved = form; });
      // Registered after the confirmations: a submit they cancel keeps the warning.
      form.addEventListener("submit", function (event) {
        if (!event.defaultPrevented && unsaved === form) { unsaved = null; }
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (unsaved) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();
