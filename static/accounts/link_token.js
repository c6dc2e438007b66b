// A one-time link carries its token after "#", which the browser never sends: put it into the form,
// take it out of the address bar (and its history), and send the form. Without script, type the code.
(function () {
  var token = window.location.hash.replace(/^#/, "");
  var form = document.getElementById("link-token-form");
  if (!token || !form) { return; }
  var field = form.querySelector("input[name=token]");
  if (!field || field.value) { return; }
  field.value = decodeURIComponent(token);
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  form.submit();
})();
