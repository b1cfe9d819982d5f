// Small page behaviours that every page shares; each works without this file too.
(function () {
  "use strict";
  var WIDE = window.matchMedia ? window.matchMedia("(min-width: 52rem)") : null;

  // The header's "Menu" disclosure (templates/base.html): open on a wide screen, where its
  // summary is hidden; on a phone Escape closes it and gives the focus back to "Menu".
  var menu = document.querySelector("details[data-menu]");
  if (menu) {
    var sync = function () { if (WIDE) menu.open = WIDE.matches; };
    sync();
    if (WIDE && WIDE.addEventListener) WIDE.addEventListener("change", sync);
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !(WIDE && WIDE.matches)) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }

  // Destructive buttons (templates/macros/confirm.html): a GET form to the confirm page,
  // asked here in a modal <dialog> instead; "Confirm" posts to the same address with the CSRF
  // token, "Cancel" and Escape close it and give the focus back to the button.
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var post = dialog.querySelector("form[data-confirm-form]");
  var yes = dialog.querySelector("[data-confirm-yes]");
  var opener = null;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]") || dialog.open) return;
    event.preventDefault();
    dialog.querySelector("[data-confirm-question]").textContent = form.getAttribute("data-confirm");
    yes.textContent = form.getAttribute("data-confirm-action") || yes.textContent;
    post.setAttribute("method", "post");
    post.setAttribute("action", form.getAttribute("action"));
    Array.prototype.forEach.call(post.querySelectorAll("[data-copied]"), function (input) {
      input.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (input) {
      var copy = document.createElement("input");
      copy.type = "hidden";
      copy.name = input.name;
      copy.value = input.value;
      copy.setAttribute("data-copied", "");
      post.appendChild(copy);
    });
    opener = event.submitter || form.querySelector("button");
    dialog.showModal();
    dialog.querySelector("[data-confirm-cancel]").focus();
  });
  dialog.querySelector("[data-confirm-cancel]").addEventListener("click", function () {
    dialog.close();
  });
  dialog.addEventListener("close", function () {
    if (opener && document.contains(opener)) opener.focus();
  });
})();
