// Attachments: say before uploading what Plain would refuse, and show an upload's progress.
// The forms work without this file (a plain multipart POST, checked again on the server).
(function () {
  "use strict";
  if (window.portalUploads) return;
  window.portalUploads = true;

  // The same words and rounding as portal.support.forms.size_text.
  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    var unit = bytes < 1024 * 1024 ? 1024 : 1024 * 1024;
    var tenths = Math.floor((bytes * 10 + unit / 2) / unit);
    return Math.floor(tenths / 10) + "." + (tenths % 10) + (unit === 1024 ? " KB" : " MB");
  }

  function extensionOf(name) {
    var dot = name.lastIndexOf(".");
    return dot === -1 ? "" : name.slice(dot + 1).toLowerCase();
  }

  // The limits come from the input's data-* attributes (the server's constants); the rules, their
  // order and their words are portal.support.forms.attachments_sort's, so the browser says per
  // file what the server would.
  function sortFiles(input) {
    var maxFiles = parseInt(input.dataset.maxFiles || "0", 10);
    var maxBytes = parseInt(input.dataset.maxBytes || "0", 10);
    var maxFileBytes = parseInt(input.dataset.maxFileBytes || input.dataset.maxBytes || "0", 10);
    var banned = (input.dataset.bannedExtensions || "").split(" ").filter(Boolean);
    var files = Array.prototype.slice.call(input.files || []);
    var accepted = [];
    var refused = [];
    var total = 0;
    files.forEach(function (file) {
      var extension = extensionOf(file.name);
      var reason = null;
      if (file.size === 0) {
        reason = "the submitted file is empty";
      } else if (banned.indexOf(extension) !== -1) {
        reason = "files of type ." + extension + " cannot be attached";
      } else if (maxFileBytes && file.size > maxFileBytes) {
        reason = "it is " + sizeText(file.size) + " and a file can be at most " + sizeText(maxFileBytes);
      } else if (maxFiles && accepted.length >= maxFiles) {
        reason = "a message can carry at most " + maxFiles + " files";
      } else if (maxBytes && total + file.size > maxBytes) {
        reason = "with it the files would be " + sizeText(total + file.size) +
          " and together they can be at most " + sizeText(maxBytes);
      }
      if (reason === null) {
        accepted.push(file);
        total += file.size;
      } else {
        refused.push((file.name || "A file") + " was not attached: " + reason + ".");
      }
    });
    return { files: files, accepted: accepted, total: total, problems: refused };
  }

  function summaryFor(input) {
    var summary = input.parentNode.querySelector(".upload-summary");
    if (!summary) {
      summary = document.createElement("div");
      summary.className = "upload-summary";
      summary.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", summary);
    }
    return summary;
  }

  function listOf(lines) {
    var list = document.createElement("ul");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    return list;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxBytes) return;
    var result = sortFiles(input);
    var summary = summaryFor(input);
    var lines = result.problems.slice();
    if (lines.length && result.accepted.length) {
      lines.push("These are fine: " +
        result.accepted.map(function (file) { return file.name; }).join(", ") + ".");
    }
    // The browser refuses to submit while the input is invalid, and says why (every file).
    input.setCustomValidity(result.problems.join(" "));
    summary.classList.toggle("upload-summary--error", result.problems.length > 0);
    summary.textContent = "";
    if (lines.length) {
      summary.appendChild(listOf(lines));
    } else if (result.files.length) {
      summary.textContent = result.files.length + (result.files.length === 1 ? " file, " : " files, ") +
        sizeText(result.total);
    }
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
