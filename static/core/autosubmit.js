// A <select data-autosubmit> submits its form when changed (no inline handler: the
// Content-Security-Policy allows scripts from our own static files only).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
