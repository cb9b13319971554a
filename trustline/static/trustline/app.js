/* Trustline progressive enhancement. The site works without this file.
 * No inline scripts or eval: everything attaches through data attributes,
 * so a strict Content-Security-Policy (script-src 'self') is enough.
 *
 * 1. Dynamic formsets ("add another"):
 *    <div data-formset data-prefix="items">
 *      {{ formset.management_form }}
 *      <div data-formset-forms>{% for f in formset %}<div class="formset-form">…</div>{% endfor %}</div>
 *      <template data-formset-template><div class="formset-form">{{ formset.empty_form… }}</div></template>
 *      <button type="button" class="btn" data-formset-add hidden>Add another</button>
 *    </div>
 *    The button should start `hidden` (it is useless without JS); this file shows it.
 *    "__prefix__" in the template is replaced by the new form index, and
 *    <prefix>-TOTAL_FORMS is incremented. The button hides at <prefix>-MAX_NUM_FORMS.
 *
 * 2. Show/hide: <div data-show-when="id_is_urgent">…</div> is shown only while
 *    the checkbox with that id is checked. Add data-show-when-not to invert.
 *    Without JS the element stays visible, so do not start it `hidden`.
 *
 * 3. <form data-confirm="Are you sure?"> asks before submitting.
 *
 * 4. POST forms are protected from double submission (slow connections):
 *    a second submit within 15 s is ignored. Opt out with data-allow-resubmit.
 *
 * 5. An htmx request that fails (the connection dropped, or the server answered
 *    with an error) shows the element marked data-send-error inside the form
 *    that sent it (hidden until then), else the page's [data-send-error-page]
 *    (base.html); without this, nothing on the page would change and a
 *    responder could not tell that an acknowledgement did not arrive.
 */
(function () {
  "use strict";

  function managementInput(container, prefix, name) {
    return container.querySelector('input[name="' + prefix + "-" + name + '"]') ||
      document.querySelector('input[name="' + prefix + "-" + name + '"]');
  }

  function initFormset(container) {
    var prefix = container.getAttribute("data-prefix") || "form";
    var template = container.querySelector("template[data-formset-template]");
    var button = container.querySelector("[data-formset-add]");
    var total = managementInput(container, prefix, "TOTAL_FORMS");
    if (!template || !button || !total) return;
    var maxInput = managementInput(container, prefix, "MAX_NUM_FORMS");
    var target = container.querySelector("[data-formset-forms]");

    function atMax() {
      var max = maxInput ? parseInt(maxInput.value, 10) : NaN;
      return !isNaN(max) && parseInt(total.value, 10) >= max;
    }

    button.hidden = atMax();
    button.addEventListener("click", function () {
      if (atMax()) return;
      var index = parseInt(total.value, 10) || 0;
      // Parse through a <template> so table rows (<tr>) survive.
      var wrapper = document.createElement("template");
      wrapper.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      var fragment = wrapper.content;
      var first = null;
      while (fragment.firstChild) {
        var node = fragment.firstChild;
        if (target) target.appendChild(node);
        else template.parentNode.insertBefore(node, template);
        if (!first && node.nodeType === 1) first = node;
      }
      total.value = String(index + 1);
      button.hidden = atMax();
      if (first) {
        init(first);
        var input = first.querySelector("input:not([type=hidden]), select, textarea");
        if (input) input.focus();
      }
    });
  }

  function initShowWhen(el) {
    var box = document.getElementById(el.getAttribute("data-show-when"));
    if (!box) return;
    var invert = el.hasAttribute("data-show-when-not");
    function update() {
      el.hidden = invert ? box.checked : !box.checked;
    }
    box.addEventListener("change", update);
    update();
  }

  function each(root, selector, fn) {
    if (root.nodeType !== 1 && root.nodeType !== 9) return;
    var nodes = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) nodes.unshift(root);
    nodes.forEach(function (node) {
      var key = "tlBound" + selector.replace(/[^a-z]/gi, "");
      if (node.dataset[key]) return;
      node.dataset[key] = "1";
      fn(node);
    });
  }

  function init(root) {
    each(root, "[data-formset]", initFormset);
    each(root, "[data-show-when]", initShowWhen);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    var isHtmx = form.hasAttribute("hx-post") || form.hasAttribute("hx-get") ||
      form.hasAttribute("hx-put") || form.hasAttribute("hx-delete") || form.hasAttribute("hx-patch");
    if ((form.method || "").toLowerCase() !== "post" || isHtmx ||
        form.hasAttribute("data-allow-resubmit") || form.target) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
    }, 15000);
  });

  // Back/forward cache can restore a page with a form still marked as submitting.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
    });
  });

  // A person's action comes from a form; a background refresh (the board's poll) does not. A failed action's
  // alert stays until the person acts again: the next poll, ten seconds later, must not hide it unseen.
  function sourceForm(event) {
    var source = event.detail && event.detail.elt;
    return source && source.closest ? source.closest("form") : null;
  }
  function sendErrorNote(form) {
    return (form && form.querySelector("[data-send-error]")) || document.querySelector("[data-send-error-page]");
  }
  function sendFailed(event) {
    var form = sourceForm(event);
    var note = sendErrorNote(form);
    if (!note) return;
    note.hidden = false;
    note.setAttribute("data-shown-by", form ? "action" : "refresh");
  }
  document.addEventListener("htmx:sendError", sendFailed);
  document.addEventListener("htmx:responseError", sendFailed);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = sourceForm(event);
    if (!form) return;
    var note = sendErrorNote(form);
    if (note) note.hidden = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var note = document.querySelector("[data-send-error-page]");
    if (note && event.detail && event.detail.successful && !sourceForm(event) &&
        note.getAttribute("data-shown-by") === "refresh") note.hidden = true;
  });

  document.addEventListener("htmx:load", function (event) { init(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
