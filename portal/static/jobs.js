// Polls a job's status and updates the page until the job ends.
(function () {
  "use strict";
  document.querySelectorAll("[data-job-status-url]").forEach(function (box) {
    var url = box.getAttribute("data-job-status-url");
    var state = box.querySelector(".job-state");
    var bar = box.querySelector(".job-progress");
    var message = box.querySelector(".job-message");
    var error = box.querySelector(".job-error");
    var link = box.querySelector(".job-link");
    var wayBack = box.querySelector(".job-way-back");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (job) {
          state.textContent = job.state;
          bar.value = job.progress;
          bar.textContent = Math.round(job.progress * 100) + "%";
          message.textContent = job.message || "";
          if (job.state === "failed") {
            error.textContent = job.error;
            error.hidden = false;
            bar.hidden = true;
            message.hidden = true;
            var heading = document.querySelector("h1[data-failed-title]");
            if (heading) { heading.textContent = heading.getAttribute("data-failed-title"); }
            if (wayBack) { wayBack.hidden = false; }
            // a task that names a page explaining its failure sends the person there
            if (job.result && job.result.url) {
              link.querySelector("a").href = job.result.url;
              link.querySelector("a").textContent = "See what went wrong and how to fix it";
              link.hidden = false;
              window.location.assign(job.result.url);
            }
          } else if (job.state === "finished") {
            if (job.result && job.result.url) {
              link.querySelector("a").href = job.result.url;
              link.hidden = false;
              window.location.assign(job.result.url);
            }
          } else {
            window.setTimeout(poll, 700);
          }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    if (state.textContent !== "finished" && state.textContent !== "failed") { poll(); }
  });
})();
