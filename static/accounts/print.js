// The print button of a printable link page (no inline script: the CSP allows our files only).
(function () {
  var button = document.querySelector("[data-print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
