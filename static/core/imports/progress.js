// The import job's progress bar: polls the job's JSON status and reloads the page, which then
// shows the report, once the job has finished (after a moment at 100%, so the full bar is seen).
// Logged out or no longer allowed (401, 404): the page is reloaded, and says so itself.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("import-bar");
  var percent = document.getElementById("import-percent");
  var status = document.getElementById("import-status");
  var done = document.getElementById("import-rows-done");
  var total = document.getElementById("import-rows-total");
  var delay = 700;

  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    if (percent) { percent.textContent = data.percent + "%"; }
    status.textContent = data.status_label;
    done.textContent = data.rows_done;
    total.textContent = data.rows_total;
  }

  function reload() { window.location.reload(); }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 404) { reload(); return null; }
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (data) {
        if (!data) { return; }
        show(data);
        if (data.finished) { window.setTimeout(reload, 500); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, delay);
})();
