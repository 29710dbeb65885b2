// While a pack builds, ask for its status every 2 seconds and show the step; reload the page
// once it has finished so the downloads (or the reason it failed) appear.
const region = document.getElementById("pack-status");
const progress = document.getElementById("pack-progress");

async function poll() {
  try {
    const response = await fetch(region.dataset.statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (response.ok) {
      const build = await response.json();
      if (build.finished) {
        window.location.reload();
        return;
      }
      if (build.status === "building" && progress) {
        progress.textContent = `Building: step ${build.steps_done} of ${build.steps_total || "?"}` +
          (build.step_label ? ` (${build.step_label}).` : ".");
      }
    }
  } catch (error) {
    // The server may be restarting: keep asking.
  }
  window.setTimeout(poll, 2000);
}

if (region && region.dataset.finished !== "true") {
  window.setTimeout(poll, 2000);
}
