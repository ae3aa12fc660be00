// vmmonbench pages: sortable tables, row filters, hidden rows on demand, SQL expand/collapse,
// everything open in print.
(function () {
  "use strict";

  function cellKey(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell ? cell.getAttribute("data-value") : null;
    var text = raw === null ? (cell ? cell.textContent : "") : raw;
    if (numeric) {
      var value = parseFloat(text);
      return isNaN(value) ? -Infinity : value;
    }
    return text.trim().toLowerCase();
  }

  function sortBy(table, header) {
    var numeric = header.getAttribute("data-sort") === "number";
    var current = header.getAttribute("aria-sort");
    var descending = current === "none" || current === null ? numeric : current === "ascending";
    var body = table.tBodies[0];
    var index = header.cellIndex;
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: cellKey(row, index, numeric), position: position };
    });
    rows.sort(function (a, b) {
      var order = 0;
      if (numeric) {
        order = a.key - b.key;
      } else {
        order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      }
      if (descending) {
        order = -order;
      }
      return order !== 0 ? order : a.position - b.position;
    });
    rows.forEach(function (item) {
      body.appendChild(item.row);
    });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) {
      if (th.hasAttribute("data-sort")) {
        th.setAttribute("aria-sort", "none");
      }
    });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) {
      return;
    }
    table.tHead.querySelectorAll("th[data-sort]").forEach(function (header) {
      header.addEventListener("click", function () {
        sortBy(table, header);
      });
    });
  });

  // data-filter names one table id, or several separated by spaces
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var tables = input.getAttribute("data-filter").split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(function (table) {
      return table && table.tBodies.length;
    });
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      tables.forEach(function (table) {
        Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
          row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
        });
      });
    });
  });

  // rows marked "quiet" stay hidden (by CSS) until their scope gets the class show-quiet
  document.querySelectorAll("button.toggle-quiet").forEach(function (button) {
    var scope = document.getElementById(button.getAttribute("data-scope"));
    var showLabel = button.textContent;
    if (!scope) {
      return;
    }
    button.addEventListener("click", function () {
      var show = !scope.classList.contains("show-quiet");
      scope.classList.toggle("show-quiet", show);
      button.setAttribute("aria-pressed", show ? "true" : "false");
      button.textContent = show ? button.getAttribute("data-hide-label") : showLabel;
    });
  });

  // one view of a scope at a time (hot spots by DB self time or by DB work)
  document.querySelectorAll("button.switch-view").forEach(function (button) {
    var scope = document.getElementById(button.getAttribute("data-scope"));
    if (!scope) {
      return;
    }
    button.addEventListener("click", function () {
      var chosen = button.getAttribute("data-view");
      Array.prototype.forEach.call(scope.children, function (view) {
        view.hidden = view.getAttribute("data-view") !== chosen;
      });
      document.querySelectorAll('button.switch-view[data-scope="' + scope.id + '"]').forEach(
        function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        }
      );
    });
  });

  document.querySelectorAll("button.toggle-sql").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-pressed") !== "true";
      var scope = document.getElementById(button.getAttribute("data-scope")) || document;
      scope.querySelectorAll("details.sql").forEach(function (details) {
        details.open = open;
      });
      button.setAttribute("aria-pressed", open ? "true" : "false");
      button.textContent = open ? "Collapse all SQL" : "Expand all SQL";
    });
  });

  var closedForPrint = [];
  window.addEventListener("beforeprint", function () {
    closedForPrint = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    closedForPrint.forEach(function (d) {
      d.open = true;
    });
  });
  window.addEventListener("afterprint", function () {
    closedForPrint.forEach(function (d) {
      d.open = false;
    });
    closedForPrint = [];
  });
})();
