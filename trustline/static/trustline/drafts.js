/* Drafts of partners' forms, kept in this browser until the server stored them.
 *
 * Why: a partner on a weak connection writes a long explanation, presses Send,
 * and the connection drops; the browser shows an error page and the text is
 * gone. Here every change is saved to localStorage, and the form comes back
 * as it was, with its hidden idempotency key. Sent again, a report the server
 * did store is answered "already received", never stored twice.
 *
 * 1. <form data-draft="KEY"> (report-new:<person>, answer:<person>:<question>,
 *    contest:<person>:<decision>) saves its fields (not files, not the CSRF
 *    token) half a second after each change, and when the page goes.
 * 2. With data-draft-restore (the server adds it only to an empty, unbound
 *    form) a saved draft is put back: formset rows are added through the
 *    formset's own "add" button, values set, show/hide rules re-run, and the
 *    [data-draft-notice] shows when it was saved, with a "discard" button.
 * 3. A page with <span data-draft-sent="KEY"> (the report page, for the
 *    idempotency keys the report was sent with) deletes the draft holding
 *    that key: it is stored. This also works when the answer to the
 *    submission was lost and the partner finds the report in "My reports".
 *    Forms without an idempotency key (the answer to a reviewer's question,
 *    a contest) are named instead: <span data-draft-done="FORM KEY"> deletes
 *    that form's draft. The server puts it on the next full page after it
 *    stored the form (trustline.core.drafts), whichever page that is. (Not on
 *    the question's page once it is answered: a colleague may have answered,
 *    and this person's unsent text must not go.)
 * 4. Submitting a form with data-draft-purge (sign out) deletes every draft:
 *    reports describe people at risk, and the browser may be shared.
 *    Drafts older than DRAFT_DAYS are dropped when any page loads.
 */
(function () {
  "use strict";

  var PREFIX = "trustline.draft.";
  var DRAFT_DAYS = 30;
  var SKIP = { csrfmiddlewaretoken: true, more_rows: true };

  function storage() {
    try {
      var store = window.localStorage;
      store.setItem(PREFIX + "probe", "1");
      store.removeItem(PREFIX + "probe");
      return store;
    } catch (e) {  // private mode, storage disabled or full: the form works as before
      return null;
    }
  }
  var store = storage();
  if (!store) return;
  var signingOut = false;  // set by the sign-out form: no form may save its draft again as the page goes

  function draftKeys() {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) keys.push(key);
    }
    return keys;
  }

  function read(key) {
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      return draft && Array.isArray(draft.fields) ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function fieldsOf(form) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.disabled || el.type === "file" || el.type === "submit" ||
          el.type === "button") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { out.push([el.name, o.value]); });
        return;
      }
      out.push([el.name, el.value]);
    });
    return out;
  }

  function valueOf(fields, name) {
    for (var i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
    return null;
  }

  function ensureRows(form, fields) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-formset]"), function (set) {
      var prefix = set.getAttribute("data-prefix") || "form";
      var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
      var add = set.querySelector("[data-formset-add]");
      var wanted = parseInt(valueOf(fields, prefix + "-TOTAL_FORMS") || "0", 10);
      while (total && add && parseInt(total.value, 10) < wanted && !add.hidden) add.click();
    });
  }

  function restore(form, draft) {
    ensureRows(form, draft.fields);
    var names = {};
    draft.fields.forEach(function (pair) { names[pair[0]] = true; });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = draft.fields.some(function (p) { return p[0] === el.name && p[1] === el.value; });
        el.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          o.selected = draft.fields.some(function (p) { return p[0] === el.name && p[1] === o.value; });
        });
      } else if (names[el.name] && !/-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/.test(el.name)) {
        el.value = valueOf(draft.fields, el.name);
      }
    });
  }

  function initForm(form) {
    var key = PREFIX + form.getAttribute("data-draft");
    var timer = null;
    var dirty = false;  // nothing typed on this page yet: nothing to save
    function save() {
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (!dirty || signingOut) return;
      try {
        store.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), fields: fieldsOf(form) }));
      } catch (e) { /* storage full: nothing to do but keep the form working */ }
    }
    function later() {
      dirty = true;
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(save, 500);
    }

    var help = document.querySelector("[data-draft-help]");
    if (help) help.hidden = false;
    var saved = read(key);
    var notice = document.querySelector("[data-draft-notice]");
    if (saved && form.hasAttribute("data-draft-restore")) {
      restore(form, saved);
      if (notice) {
        var when = notice.querySelector("[data-draft-saved]");
        if (when) {
          when.setAttribute("datetime", saved.savedAt);
          when.textContent = new Date(saved.savedAt).toLocaleString(document.documentElement.lang || undefined);
        }
        notice.hidden = false;
        var discard = notice.querySelector("[data-draft-discard]");
        if (discard) discard.addEventListener("click", function () {
          dirty = false;
          save();  // cancels a pending save
          store.removeItem(key);
          window.location.replace(window.location.pathname);  // the empty form, as the server renders it
        });
      }
    }
    // Listening only now: the change events restore() dispatched are not edits.
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", save);  // the latest text, before the request leaves
    window.addEventListener("pagehide", save);
  }

  function start() {
    var now = Date.now();
    draftKeys().forEach(function (key) {
      var draft = read(key);
      var age = draft ? now - Date.parse(draft.savedAt) : Infinity;
      if (!(age < DRAFT_DAYS * 86400000)) store.removeItem(key);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-draft-sent]"), function (el) {
      var sent = el.getAttribute("data-draft-sent");
      draftKeys().forEach(function (key) {
        var draft = read(key);
        if (draft && valueOf(draft.fields, "idempotency_key") === sent) store.removeItem(key);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-draft-done]"), function (el) {
      store.removeItem(PREFIX + el.getAttribute("data-draft-done"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), initForm);
    document.addEventListener("submit", function (event) {
      if (event.target instanceof HTMLFormElement && event.target.hasAttribute("data-draft-purge")) {
        signingOut = true;
        draftKeys().forEach(function (key) { store.removeItem(key); });
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
