// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
// A second click within a second of the first does nothing (NHS.UK frontend's button debounce), so a
// double-click records one agreement, contact or concern rather than two.
initAll({ button: { preventDoubleClick: true } });

// Copy buttons (for the patient-record note): copy the text of the element they point at.
for (const button of document.querySelectorAll("[data-copy-target]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const target = document.getElementById(button.dataset.copyTarget);
    if (target && navigator.clipboard) {
      await navigator.clipboard.writeText(target.textContent);
      button.textContent = "Copied";
    }
  });
}
