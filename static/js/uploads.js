// Attachments: say before uploading what Plain would refuse, and show an upload's progress.
// The forms work without this file (a plain multipart POST, checked again on the server).
(function () {
  "use strict";
  if (window.portalUploads) return;
  window.portalUploads = true;

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function extensionOf(name) {
    var dot = name.lastIndexOf(".");
    return dot === -1 ? "" : name.slice(dot + 1).toLowerCase();
  }

  // The limits come from the input's data-* attributes (the server's constants).
  function problemsOf(input) {
    var maxFiles = parseInt(input.dataset.maxFiles || "0", 10);
    var maxBytes = parseInt(input.dataset.maxBytes || "0", 10);
    var banned = (input.dataset.bannedExtensions || "").split(" ").filter(Boolean);
    var files = Array.prototype.slice.call(input.files || []);
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    var problems = [];
    if (maxFiles && files.length > maxFiles) {
      problems.push("Attach at most " + maxFiles + " files; you chose " + files.length + ".");
    }
    if (maxBytes && total > maxBytes) {
      problems.push("Attachments can be at most " + sizeText(maxBytes) + " together; these are " +
        sizeText(total) + ".");
    }
    var refused = files.filter(function (file) { return banned.indexOf(extensionOf(file.name)) !== -1; });
    if (refused.length) {
      problems.push("These files cannot be attached: " +
        refused.map(function (file) { return file.name; }).join(", ") + ".");
    }
    return { files: files, total: total, problems: problems };
  }

  function summaryFor(input) {
    var summary = input.parentNode.querySelector(".upload-summary");
    if (!summary) {
      summary = document.createElement("p");
      summary.className = "upload-summary";
      summary.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", summary);
    }
    return summary;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxBytes) return;
    var result = problemsOf(input);
    var summary = summaryFor(input);
    var message = result.problems.join(" ");
    // The browser refuses to submit while the input is invalid, and says why.
    input.setCustomValidity(message);
    summary.classList.toggle("upload-summary--error", Boolean(message));
    summary.textContent = message || (result.files.length ?
      result.files.length + (result.files.length === 1 ? " file, " : " files, ") + sizeText(result.total) : "");
  });

  function progressBarOf(form) {
    return form && form.hasAttribute("data-upload-progress") ?
      form.querySelector("[data-upload-progress-bar]") : null;
  }

  function hasFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
  }

  // htmx sends these on the element that made the request (the form).
  document.addEventListener("htmx:xhr:loadstart", function (event) {
    var form = event.target;
    var bar = progressBarOf(form);
    // Both the request and its upload start; the first one shows the bar.
    if (!bar || !bar.hidden || !hasFiles(form)) return;
    bar.hidden = false;
    bar.querySelector("progress").value = 0;
    bar.querySelector(".upload-progress__label").textContent = "Uploading…";
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = progressBarOf(event.target);
    var progress = bar && bar.querySelector("progress");
    // Once the upload is complete, the answer's own download progress is not shown.
    if (!bar || bar.hidden || !event.detail.lengthComputable || progress.value >= 100) return;
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    progress.value = percent;
    bar.querySelector(".upload-progress__label").textContent = percent >= 100 ?
      "Sending…" : "Uploading… " + percent + "%";
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var bar = progressBarOf(event.target);
    if (bar) bar.hidden = true;
  });
})();
