// Long portal forms keep what was typed: <form data-autosave="KEY"> saves its fields in this
// browser as they are typed, restores them after a reload, a crash or a lost connection, and
// refuses to submit while the browser is offline (nothing is lost on the way). The page that
// confirms a saved form carries [data-autosave-clear="KEY"], which forgets the copy; signing
// out forgets every copy. Passwords, files, hidden fields and [data-autosave-skip] fields (ID
// numbers) are never kept. Texts come from the form's data-autosave-* attributes (translated
// by the template). No inline script: the Content-Security-Policy allows our own files only.
(function () {
  "use strict";
  var PREFIX = "lucheng-autosave:";
  var KEEP_MS = 7 * 24 * 3600 * 1000;

  function storage() {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // private mode, or storage switched off: the form works without the copy
    }
  }
  var store = storage();
  if (!store) return;

  function kept(field) {
    if (!field.name || field.disabled || field.hasAttribute("data-autosave-skip")) return false;
    var type = (field.type || "").toLowerCase();
    return ["password", "file", "hidden", "submit", "button", "reset"].indexOf(type) === -1;
  }

  function read(key) {
    try {
      var saved = JSON.parse(store.getItem(PREFIX + key) || "null");
      if (saved && Date.now() - saved.at < KEEP_MS) return saved;
    } catch (e) { /* a damaged copy is dropped */ }
    store.removeItem(PREFIX + key);
    return null;
  }

  function save(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field)) return;
      if (field.type === "checkbox" || field.type === "radio") {
        values[field.name + "\u0000" + field.value] = field.checked;
      } else if (field.multiple) {
        values[field.name] = Array.prototype.filter.call(field.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else {
        values[field.name] = field.value;
      }
    });
    try {
      store.setItem(PREFIX + form.dataset.autosave, JSON.stringify({ at: Date.now(), values: values }));
    } catch (e) { /* storage full: the form still submits */ }
  }

  function restore(form, saved) {
    var restored = false;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field)) return;
      if (field.type === "checkbox" || field.type === "radio") {
        var key = field.name + "\u0000" + field.value;
        if (key in saved.values && field.checked !== saved.values[key]) {
          field.checked = saved.values[key];
          restored = true;
        }
      } else if (field.name in saved.values && !field.value && saved.values[field.name]) {
        // Only empty fields: what the server sent back (a value with its error) wins.
        if (field.multiple) {
          Array.prototype.forEach.call(field.options, function (o) {
            o.selected = saved.values[field.name].indexOf(o.value) !== -1;
          });
        } else {
          field.value = saved.values[field.name];
        }
        restored = true;
      }
    });
    return restored;
  }

  function notice(form, text, kind) {
    var box = form.querySelector(".autosave-notice");
    if (!box) {
      box = document.createElement("p");
      box.className = "autosave-notice messages";
      box.setAttribute("role", "status");
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = text;
    box.dataset.kind = kind;
  }

  document.querySelectorAll("[data-autosave-clear]").forEach(function (element) {
    store.removeItem(PREFIX + element.getAttribute("data-autosave-clear"));
  });

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var saved = read(form.dataset.autosave);
    if (saved && restore(form, saved)) {
      notice(form, form.dataset.autosaveRestored || "已恢复上次未提交的内容。", "restored");
    }
    var timer = null;
    function later() {
      clearTimeout(timer);
      timer = setTimeout(function () { save(form); }, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", function () { save(form); });
    // Leaving the page (a reload, the tab closed or sent to the background) saves at once.
    window.addEventListener("pagehide", function () { clearTimeout(timer); save(form); });
    form.addEventListener("submit", function (event) {
      save(form);
      if (navigator.onLine === false) {
        event.preventDefault();
        notice(form, form.dataset.autosaveOffline || "网络已断开：填写的内容已保存在本机，网络恢复后请再次提交。", "offline");
      }
    });
  });

  document.querySelectorAll("form.portal-logout").forEach(function (form) {
    form.addEventListener("submit", function () {
      Object.keys(store).forEach(function (key) {
        if (key.indexOf(PREFIX) === 0) store.removeItem(key);
      });
    });
  });
})();
