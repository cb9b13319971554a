/* Trustline reviewer console: keyboard shortcuts and SLA countdowns.
 * No inline script, no eval (the CSP is script-src 'self'); everything hangs on data attributes.
 *
 * Shortcuts (ignored while typing in a field, or with Ctrl/Alt/Meta held):
 *   n  submits the form marked data-shortcut-form="n" (next case)
 *   r  submits the form marked data-shortcut-form="r" (release), after a confirmation
 *   d  moves focus to the decision form (#decide)
 *   q  goes back to the queue
 *   ?  opens the help dialog (#shortcuts-help)
 * Countdown: <time datetime="ISO" data-countdown> gets a live "(2h 5m)" / "(overdue)" suffix, in the page's
 * language, isolated so that a right-to-left page does not reorder it.
 */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function submitShortcut(key) {
    var form = document.querySelector('form[data-shortcut-form="' + key + '"]');
    if (!form) return false;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    var help = document.getElementById("shortcuts-help");
    if (help && help.open) return;
    var key = event.key;
    if (key === "n" && submitShortcut("n")) {
      event.preventDefault();
    } else if (key === "r") {
      var release = document.querySelector('form[data-shortcut-form="r"]');
      if (release && window.confirm(release.getAttribute("data-confirm-text") || "Release this case?")) {
        event.preventDefault();
        submitShortcut("r");
      }
    } else if (key === "d") {
      var decide = document.getElementById("decide");
      if (decide) {
        event.preventDefault();
        decide.scrollIntoView();
        var first = decide.querySelector("select, input:not([type=hidden]), textarea");
        if (first) first.focus();
      }
    } else if (key === "q") {
      var queue = document.querySelector('a[data-shortcut-link="q"]');
      if (queue) { event.preventDefault(); window.location.href = queue.href; }
    } else if (key === "?") {
      if (help && typeof help.showModal === "function") {
        event.preventDefault();
        help.showModal();
      }
    }
  });

  // "2 h 05 min" in the page's language ("2 س 5 د" in Arabic), with the Latin digits the dates use.
  var LANG = (document.documentElement.lang || "en") + "-u-nu-latn";
  function amount(n, unit) {
    try {
      return new Intl.NumberFormat(LANG, {style: "unit", unit: unit, unitDisplay: "narrow"}).format(n);
    } catch (e) {  // a browser without unit formatting
      return n + (unit === "hour" ? " h" : " min");
    }
  }

  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("time[data-countdown]"), function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      var left = Math.round((due - now) / 60000);
      var out = el.nextElementSibling && el.nextElementSibling.classList.contains("countdown")
        ? el.nextElementSibling : null;
      if (!out) {
        out = document.createElement("span");
        out.className = "countdown";
        el.parentNode.insertBefore(out, el.nextSibling);
      }
      if (left <= 0) {
        out.textContent = " (" + (el.getAttribute("data-overdue-text") || "overdue") + ")";
        el.classList.add("overdue");
      } else {
        var h = Math.floor(left / 60);
        out.textContent = " (" + (h > 0 ? amount(h, "hour") + " " + amount(left % 60, "minute")
          : amount(left, "minute")) + ")";
      }
    });
  }

  function start() {
    tick();
    window.setInterval(tick, 30000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
