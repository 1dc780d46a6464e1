/* platelens DAM pages: draw plate boxes over images, upload with progress, poll until readings arrive. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* An <svg> laid over an image, in the image's pixel coordinates, with one polygon per reading. */
  function drawBoxes(figure, width, height, readings) {
    var old = figure.querySelector("svg.boxes");
    if (old) old.remove();
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "boxes");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    readings.forEach(function (r) {
      var shape;
      if (r.polygon && r.polygon.length >= 3) {
        shape = document.createElementNS(SVG, "polygon");
        shape.setAttribute("points", r.polygon.map(function (p) { return p[0] + "," + p[1]; }).join(" "));
      } else if (r.box && r.box.xmax !== undefined) {
        shape = document.createElementNS(SVG, "rect");
        shape.setAttribute("x", r.box.xmin); shape.setAttribute("y", r.box.ymin);
        shape.setAttribute("width", r.box.xmax - r.box.xmin); shape.setAttribute("height", r.box.ymax - r.box.ymin);
      } else { return; }
      shape.setAttribute("class", "box review-" + r.review_status);
      svg.appendChild(shape);
    });
    figure.appendChild(svg);
  }

  function readingsList(readings) {
    var list = el("ul", { "class": "readings" });
    if (!readings.length) list.appendChild(el("li", { "class": "muted" }, "no plate found"));
    readings.forEach(function (r) {
      var li = el("li", { "class": "reading" });
      li.appendChild(el("span", { "class": "plate" }, r.display_plate || r.plate));
      var info = " " + Math.round(r.score * 100) + "%" + (r.region && r.region.code ? " · " + r.region.code : "");
      if (r.review_status !== "unreviewed") info += " · " + r.review_status;
      li.appendChild(el("span", { "class": "muted" }, info));
      list.appendChild(li);
    });
    return list;
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }

  /* Card of one upload: progress bar, then image + boxes + readings once the worker is done. */
  function UploadCard(file, container) {
    this.card = el("article", { "class": "card upload" });
    this.title = el("h3", {}, file.name);
    this.state = el("p", { "class": "state muted" }, "uploading…");
    this.bar = el("progress", { max: "100", value: "0" });
    this.card.append(this.title, this.bar, this.state);
    container.prepend(this.card);
  }

  UploadCard.prototype.fail = function (message) {
    this.bar.remove();
    this.card.classList.add("failed");
    this.state.textContent = message;
  };

  UploadCard.prototype.show = function (asset) {
    var self = this;
    this.card.dataset.uuid = asset.request_uuid;
    this.card.dataset.status = asset.status;
    if (!this.figure) {
      this.figure = el("figure", { "class": "annotated" });
      var img = el("img", { src: asset.file_url, alt: asset.original_filename || "asset" });
      this.figure.appendChild(img);
      var link = el("a", { href: "/assets/" + asset.request_uuid + "/" }, "details");
      this.card.insertBefore(this.figure, this.state);
      this.card.appendChild(link);
    }
    var note = asset.status === "failed" ? "failed: " + asset.error : asset.status;
    this.state.textContent = note;
    if (asset.status === "done" || asset.status === "failed") {
      drawBoxes(this.figure, asset.width, asset.height, asset.readings.filter(function (r) { return r.review_status !== "rejected"; }));
      var old = this.card.querySelector("ul.readings");
      if (old) old.remove();
      if (asset.status === "done") this.card.insertBefore(readingsList(asset.readings), this.state.nextSibling);
      else this.card.classList.add("failed");
      return;
    }
    setTimeout(function () {
      getJSON("/api/assets/" + asset.request_uuid + "/").then(function (r) {
        if (r.status === 200) self.show(r.body); else self.fail(r.body.error ? r.body.error.message : "error");
      }).catch(function () { setTimeout(function () { self.show(asset); }, 2000); });
    }, 1000);
  };

  function upload(file, container, form) {
    var card = new UploadCard(file, container);
    var data = new FormData();
    data.append("file", file);
    var camera = form && form.querySelector("[name=camera_id]");
    if (camera && camera.value) data.append("camera_id", camera.value);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/assets/");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) card.bar.value = Math.round(100 * e.loaded / e.total);
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201 || xhr.status === 200) {
        card.bar.remove();
        if (body.duplicate) card.title.textContent += " (already uploaded)";
        card.show(body);
      } else {
        card.fail((body.error && body.error.message) || ("upload failed (" + xhr.status + ")"));
      }
    };
    xhr.onerror = function () { card.fail("network error"); };
    xhr.send(data);
  }

  function setupDropzone() {
    var zone = document.getElementById("dropzone");
    if (!zone) return;
    var input = document.getElementById("file-input");
    var results = document.getElementById("uploads");
    var form = document.getElementById("upload-form");
    function take(files) { Array.prototype.forEach.call(files, function (f) { upload(f, results, form); }); }
    zone.addEventListener("click", function () { input.click(); });
    zone.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") input.click(); });
    input.addEventListener("change", function () { take(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) { take(e.dataTransfer.files); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
  }

  /* Static pages (asset page, admin): figures carry their readings as JSON in a data attribute. */
  function drawStaticFigures() {
    document.querySelectorAll("figure[data-readings]").forEach(function (fig) {
      drawBoxes(fig, +fig.dataset.width, +fig.dataset.height, JSON.parse(fig.dataset.readings));
    });
  }

  window.platelens = { drawBoxes: drawBoxes, upload: upload };
  document.addEventListener("DOMContentLoaded", function () { setupDropzone(); drawStaticFigures(); });
})();
