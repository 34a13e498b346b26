// Live parts of the console: every element with data-live="URL" is refreshed from that URL
// (a server-rendered fragment) every few seconds. Without JavaScript the pages still work;
// they just need a reload to show what changed.
"use strict";
(function () {
  const EVERY_MS = 3000;
  async function refresh(element) {
    try {
      const response = await fetch(element.dataset.live, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (response.redirected) {
        // The session ended: the page itself goes to the sign-in form, and back after it.
        window.location.reload();
        return;
      }
      if (!response.ok) return;
      const html = await response.text();
      if (element.dataset.shown !== html) {
        element.dataset.shown = html;
        element.innerHTML = html;
      }
    } catch (error) {
      // Offline for a moment: the next round tries again.
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    const live = document.querySelectorAll("[data-live]");
    live.forEach(function (element) {
      setInterval(function () { refresh(element); }, EVERY_MS);
    });
    document.body.dataset.ready = "true";
  });
})();
