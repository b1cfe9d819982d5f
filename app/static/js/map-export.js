// The organisers' map as a PNG, made here from the map's SVG file (same origin, so the canvas
// may be read; nothing is sent anywhere): the button is shown only where this script runs, the
// SVG link beside it works without.
(function () {
  document.querySelectorAll("[data-map-png]").forEach(function (button) {
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    button.hidden = false;
    button.addEventListener("click", function () {
      var image = new Image();
      button.disabled = true;
      image.onload = function () {
        var scale = 2;
        var canvas = document.createElement("canvas");
        canvas.width = image.naturalWidth * scale;
        canvas.height = image.naturalHeight * scale;
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = button.dataset.filename || "map.png";
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
          button.disabled = false;
          if (status) status.textContent = button.dataset.done || "";
        }, "image/png");
      };
      image.onerror = function () {
        button.disabled = false;
        if (status) status.textContent = button.dataset.failed || "";
      };
      image.src = button.dataset.mapPng;
    });
  });
})();
