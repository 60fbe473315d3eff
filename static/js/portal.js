/* The portal's own small script. Every page works without it; it only adds:
   - copy buttons (Plain's CopyButton component): the value is always shown, the button copies it;
   - the browser's time zone, stored once for a user who has none yet (the <script> tag carries
     data-time-zone-url only then), so the server shows times in it from the next page on. */
(function () {
  "use strict";

  var script = document.currentScript;

  if (navigator.clipboard && window.isSecureContext) {
    document.documentElement.classList.add("js-clipboard");
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-copy]");
      if (!button) return;
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
      }, function () {
        button.textContent = "Copy failed";
      });
    });
  }

  var timeZoneUrl = script && script.getAttribute("data-time-zone-url");
  if (timeZoneUrl && window.fetch && window.Intl) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { zone = ""; }
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (error) { headers = {}; }
    if (zone && headers["X-CSRFToken"]) {
      window.fetch(timeZoneUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": headers["X-CSRFToken"],
          "Content-Type": "application/x-www-form-urlencoded"
        },
        body: "time_zone=" + encodeURIComponent(zone)
      });
    }
  }
})();
