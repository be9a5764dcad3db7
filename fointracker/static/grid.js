// The figures grid, keyboard first. Progressive enhancement only: without JavaScript the grid is
// an ordinary form (Tab visits every field, the buttons save).
//   Tab / Enter in a value box: the next question's value box (Shift: the previous one). Tab
//     elsewhere (state, document, note) goes on as usual; Enter there also moves to the next value.
//   Enter never submits the form mid-grid; after the last value it moves to the save button.
//   Ctrl+Enter (or Cmd+Enter) anywhere in the grid saves: "Save and next council" when the page
//     was opened from the figures queue, else "Save figures".
//   On load the first field with an error, else the first empty value box, has the focus.
(() => {
  "use strict";

  document.querySelectorAll("form[data-grid]").forEach((form) => {
    const values = () => Array.from(form.querySelectorAll('[name$="-value"]')).filter((field) => !field.disabled);
    const saveButton = () => form.querySelector("[data-grid-next]") || form.querySelector("[data-grid-submit]");

    const move = (from, step) => {
      const list = values();
      const at = list.indexOf(from);
      let target = list[at + step];
      if (at === -1) { // from a row's other fields: the nearest value box that way
        const after = list.filter((field) => from.compareDocumentPosition(field) & Node.DOCUMENT_POSITION_FOLLOWING);
        const before = list.filter((field) => from.compareDocumentPosition(field) & Node.DOCUMENT_POSITION_PRECEDING);
        target = step > 0 ? after[0] : before[before.length - 1];
      }
      if (target) {
        target.focus();
        if (typeof target.select === "function" && target.tagName === "INPUT") target.select();
        return true;
      }
      return false;
    };

    form.addEventListener("keydown", (event) => {
      const field = event.target;
      if (!(field instanceof HTMLElement) || !field.matches("input, select, textarea")) return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        const button = saveButton();
        if (button) form.requestSubmit(button);
        return;
      }
      const isValue = values().includes(field);
      if (event.key === "Tab" && isValue && !event.altKey) {
        if (move(field, event.shiftKey ? -1 : 1)) event.preventDefault();
        return;
      }
      if (event.key === "Enter" && field.tagName !== "TEXTAREA") {
        event.preventDefault(); // never an implicit submission mid-grid
        if (!move(field, event.shiftKey ? -1 : 1) && !event.shiftKey) {
          const button = form.querySelector("[data-grid-submit]");
          if (button) button.focus();
        }
      }
    });

    if (!window.location.hash) {
      const invalid = form.querySelector('[aria-invalid="true"]');
      const empty = values().find((field) => !field.value);
      const first = invalid || empty;
      if (first) first.focus();
    }
  });
})();
