/* The portal's own small script. Every page works without it; it only adds:
   - copy buttons (Plain's CopyButton component): the value is always shown, the button copies it;
   - where focus and the view go after a partial (htmx) update and on a page with errors, and a
     thread page opening at its newest message (see "Focus and place" below);
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

  /* Focus and place. A partial update replaces the element that had focus (a tab, a pager
     link, "show earlier", a button), which leaves focus on <body>: a keyboard or screen reader
     user is thrown to the top. After each swap, focus goes to the matching element of the new
     content (the link to the same address, or the same form's button), to an error when the
     server refused something, or to the updated region itself. */
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]), select, textarea";

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !document.contains(active);
  }

  function focusOn(element, scroll) {
    if (!element) return false;
    if (!element.matches(FOCUSABLE) && !element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: true });
    if (scroll) element.scrollIntoView({ block: "center" });
    return document.activeElement === element;
  }

  // The first error the server reported in `root`: an invalid field, else the error summary.
  function errorIn(root) {
    return root.querySelector("[aria-invalid=true]") ||
      root.querySelector(".field--error " + FOCUSABLE.split(", ").join(", .field--error ")) ||
      root.querySelector(".alert--error");
  }

  var lastTrigger = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    lastTrigger = {
      href: elt.getAttribute("href") || elt.getAttribute("hx-get") || "",
      formAction: elt.tagName === "FORM" ? elt.getAttribute("action") : "",
      id: event.detail.target && event.detail.target.id
    };
  });

  // "Show earlier": the message that was first stays where it was on the screen.
  var keepPlace = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("timeline__earlier")) {
      var anchor = target.nextElementSibling;
      keepPlace = anchor ? { anchor: anchor, top: anchor.getBoundingClientRect().top } : null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var trigger = lastTrigger;
    lastTrigger = null;
    if (keepPlace) {
      var place = keepPlace;
      keepPlace = null;
      window.scrollBy(0, place.anchor.getBoundingClientRect().top - place.top);
      // The newest of the earlier messages: the next one to read, going up.
      if (focusLost()) focusOn(place.anchor.previousElementSibling, false);
      return;
    }
    var swapped = event.detail.target;
    var region = (trigger && trigger.id && document.getElementById(trigger.id)) || swapped;
    if (!region || !document.contains(region)) return;
    // The answer may have gone elsewhere (a failure is retargeted to the message area).
    var error = (swapped && document.contains(swapped) && errorIn(swapped)) || errorIn(region);
    if (error) {
      // Refused: to the first error, scrolled to (on a phone it may be above the fold).
      focusOn(error, true);
      return;
    }
    if (!focusLost() || !trigger) return;
    var same = null;
    if (trigger.href) {
      same = Array.prototype.find.call(region.querySelectorAll("a[href]"), function (link) {
        return link.getAttribute("href") === trigger.href;
      });
    } else if (trigger.formAction !== "") {
      same = region.querySelector("form button[type=submit]");
    }
    focusOn(same || region, false);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("main");
    var error = main && errorIn(main);
    if (error) {
      // A page the server sent back with errors: show the first, wherever it is.
      focusOn(error, true);
      return;
    }
    // A thread page opens at its newest message (not when showing earlier ones, nor when the
    // address names a place, such as #reply after sending without JavaScript).
    var timeline = document.getElementById("timeline");
    if (timeline && timeline.hasAttribute("data-open-at-newest") && !window.location.hash) {
      var entries = timeline.querySelectorAll(":scope > li.entry");
      var newest = entries[entries.length - 1];
      if (newest && newest.getBoundingClientRect().bottom > window.innerHeight) {
        newest.scrollIntoView({ block: "start" });
      }
    }
  });

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
