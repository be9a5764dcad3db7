// The file viewer (#17): arrow keys move between a grid's cells; choosing a question in the list
// beside the grid selects it in the form. The page works without this script.
(function () {
  "use strict";
  var grid = document.querySelector("table.viewer-grid");
  if (grid) {
    grid.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
      var move = moves[event.key];
      var td = event.target.closest("td");
      if (!move || !td) return;
      var row = td.parentElement, rows = Array.prototype.slice.call(grid.tBodies[0].rows);
      var r = rows.indexOf(row), c = td.cellIndex;
      for (var step = 1; step < 500; step++) {
        var target = rows[r + move[0] * step];
        if (move[0] && !target) return;
        var cell = move[0] ? target.cells[c] : row.cells[c + move[1] * step];
        if (!cell) { if (move[0]) continue; return; }
        var button = cell.querySelector("button.cell");
        if (button) { event.preventDefault(); button.focus(); return; }
      }
    });
    var picked = grid.querySelector("td.picked button.cell");
    if (picked && !document.getElementById("viewer-error")) picked.focus({ preventScroll: false });
  }
  var select = document.getElementById("question");
  if (select) {
    document.querySelectorAll(".viewer-questions a[href*='question=']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var id = new URL(link.href, location.href).searchParams.get("question");
        if (!select.querySelector("option[value='" + id + "']")) return;
        event.preventDefault();
        select.value = id;
        select.focus();
      });
    });
  }
})();
