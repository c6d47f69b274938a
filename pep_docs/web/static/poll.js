// Pages of work in progress refresh themselves: a pack page updates its progress bar from
// status.json; other pages reload when they are marked data-refresh. Without JavaScript the
// page shows a correct snapshot, and reloading it shows the latest.
(function () {
  "use strict";
  function pack(el) {
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var timer = setInterval(function () {
      fetch(el.dataset.statusUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.progress.total) {
            bar.max = s.progress.total;
            bar.value = s.progress.done;
            text.textContent = s.progress.done + " of " + s.progress.total + " children";
          }
          if (s.status === "done" || s.status === "failed") {
            clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* try again at the next tick */ });
    }, 1000 * Number(el.dataset.refresh));
  }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-refresh]");
    if (!el) { return; }
    if (el.dataset.statusUrl) { pack(el); return; }
    setTimeout(function () { window.location.reload(); }, 1000 * Number(el.dataset.refresh));
  });
}());
