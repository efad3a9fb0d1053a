// Live job progress on any page that shows a job (.job-live, from templates/jobs/_live.html).
// Reads the one jobs API, /api/v1/jobs/{id}, every second while a job is queued or running (less
// often when a page shows many), and reloads the page once it ends, so the result (player,
// download, error) is drawn by the server.
(function () {
  "use strict";
  const labelsNode = document.getElementById("job-status-labels");
  const labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  const active = new Set(["queued", "running"]);

  function show(node, job) {
    const field = (name) => node.querySelector('[data-job-field="' + name + '"]');
    const status = field("status");
    if (status) {
      status.textContent = labels[job.status] || job.status;
      status.className = "status status-" + job.status;
    }
    if (field("stage")) field("stage").textContent = job.stage || "waiting";
    if (field("progress")) field("progress").value = job.progress;
    if (field("percent")) field("percent").textContent = Math.round(job.progress);
  }

  const live = document.querySelectorAll('.job-live[data-job-live="1"]');
  // about four requests a second for the whole page, however many jobs it shows
  const every = Math.max(1000, 250 * live.length);

  function follow(node) {
    const url = "/api/v1/jobs/" + encodeURIComponent(node.dataset.jobId);
    let failures = 0;
    async function poll() {
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.status === 404 || response.status === 401 || response.status === 403) return;
        if (response.ok) {
          failures = 0;
          const job = await response.json();
          show(node, job);
          if (!active.has(job.status)) {
            node.dataset.jobLive = "0";
            window.location.reload();
            return;
          }
        }
      } catch (error) {
        failures += 1; // the network blinked: keep trying, a little slower
      }
      window.setTimeout(poll, Math.min(every * (1 + failures), 10000 + every));
    }
    window.setTimeout(poll, every);
  }

  live.forEach(follow);
})();
