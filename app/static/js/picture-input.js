// Picture fields (templates/macros/images.html), progressive enhancement:
// - a file larger than the server accepts is refused here, before the form is sent, so that
//   nothing typed is lost to a 413 page (without JavaScript the server answers it);
// - for a square picture (avatar, logo), a small cropper: the chosen picture is shown with a
//   square to move (drag, or arrow keys) and size (slider); the square goes to the hidden
//   crop_x, crop_y, crop_size fields in the picture's pixels. Without it the server crops the
//   centre.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[type=file][data-max-bytes]");

  function refuse(input, message) {
    var id = input.id + "-error";
    var shown = document.getElementById(id);
    if (!message) {
      if (shown && shown.getAttribute("role") === "alert") shown.remove();
      input.removeAttribute("aria-invalid");
      return;
    }
    if (!shown) {
      shown = document.createElement("p");
      shown.className = "error";
      shown.id = id;
      shown.setAttribute("role", "alert");
      input.parentNode.appendChild(shown);
      input.setAttribute("aria-describedby", (input.getAttribute("aria-describedby") || "") + " " + id);
    }
    shown.textContent = message;
    input.setAttribute("aria-invalid", "true");
  }

  function cropper(input, file) {
    var form = input.form;
    var fields = ["crop_x", "crop_y", "crop_size"].map(function (n) { return form.elements[n]; });
    var old = input.parentNode.querySelector(".cropper");
    if (old) old.remove();
    fields.forEach(function (f) { if (f) f.value = ""; });
    if (!fields[0] || !file || !window.FileReader) return;
    var box = document.createElement("div");
    box.className = "cropper";
    var img = document.createElement("img");
    img.alt = "";
    var square = document.createElement("div");
    square.className = "cropper-square";
    square.tabIndex = 0;
    square.setAttribute("role", "slider");
    square.setAttribute("aria-label", input.getAttribute("data-crop-label") || "");
    var zoom = document.createElement("input");
    zoom.type = "range"; zoom.min = "20"; zoom.max = "100"; zoom.value = "100";
    zoom.setAttribute("aria-label", input.getAttribute("data-zoom-label") || "");
    box.appendChild(img); box.appendChild(square);
    input.parentNode.appendChild(box);
    input.parentNode.appendChild(zoom);
    var s = { x: 0, y: 0, size: 0, w: 0, h: 0, scale: 1 };
    function draw() {
      var side = Math.round(Math.min(s.w, s.h) * zoom.value / 100);
      s.size = side;
      s.x = Math.max(0, Math.min(s.x, s.w - side));
      s.y = Math.max(0, Math.min(s.y, s.h - side));
      square.style.left = s.x * s.scale + "px";
      square.style.top = s.y * s.scale + "px";
      square.style.width = square.style.height = side * s.scale + "px";
      fields[0].value = Math.round(s.x); fields[1].value = Math.round(s.y); fields[2].value = side;
    }
    img.onload = function () {
      s.w = img.naturalWidth; s.h = img.naturalHeight;  // upright, as the server sees it
      s.scale = img.clientWidth / s.w;
      s.x = (s.w - Math.min(s.w, s.h)) / 2; s.y = (s.h - Math.min(s.w, s.h)) / 2;
      draw();
    };
    img.onerror = function () { box.remove(); zoom.remove(); };  // the server will say why
    // A data: URL (the page's CSP allows images from the site and data: only, not blob:).
    var reader = new FileReader();
    reader.onload = function () { img.src = reader.result; };
    reader.readAsDataURL(file);
    zoom.addEventListener("input", draw);
    var drag = null;
    square.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY, sx: s.x, sy: s.y };
      square.setPointerCapture(e.pointerId);
    });
    square.addEventListener("pointermove", function (e) {
      if (!drag) return;
      s.x = drag.sx + (e.clientX - drag.x) / s.scale; s.y = drag.sy + (e.clientY - drag.y) / s.scale;
      draw();
    });
    square.addEventListener("pointerup", function () { drag = null; });
    square.addEventListener("keydown", function (e) {
      var step = Math.max(1, Math.round(Math.min(s.w, s.h) / 20));
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (!moves[e.key]) return;
      e.preventDefault();
      s.x += moves[e.key][0]; s.y += moves[e.key][1];
      draw();
    });
  }

  Array.prototype.forEach.call(inputs, function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      if (file && file.size > max) {
        refuse(input, input.getAttribute("data-too-big"));
        input.value = "";
        cropper(input, null);
        return;
      }
      refuse(input, null);
      if (input.hasAttribute("data-crop")) cropper(input, file);
    });
  });
})();
