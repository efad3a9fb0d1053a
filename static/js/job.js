// Live job status: poll the status API while the job is queued or running; reload when it ends
// so the result, timings and log appear.
(function () {
  const live = document.getElementById("live");
  if (!live || live.dataset.live !== "1") return;
  const url = live.dataset.statusUrl;
  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const job = await response.json();
        document.getElementById("job-status").textContent = job.status;
        document.getElementById("job-stage").textContent = job.stage || "—";
        document.getElementById("job-progress").value = job.progress;
        document.getElementById("job-percent").textContent = Math.round(job.progress);
        if (job.status !== "queued" && job.status !== "running") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // a missed poll is fine; try again
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
