// Copy buttons for letters: <button data-copy="ID" hidden> copies the text of the element with
// that id. Works offline (no library); without JavaScript the buttons stay hidden and the
// text is in a read-only box to select and copy by hand.
(function () {
  "use strict";

  function say(button, message) {
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (status) status.textContent = message;
  }

  function fallback(source) {
    source.focus();
    if (source.select) source.select();
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () { say(button, "Copied."); };
      var failed = function () {
        if (fallback(source)) done();
        else say(button, "Select the text and copy it (Ctrl+C, or ⌘C on a Mac).");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, failed);
      } else {
        failed();
      }
    });
  });
})();
