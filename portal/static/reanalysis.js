// The mapping page: each value list shows only the values of the column chosen for it.
(function () {
  "use strict";
  document.querySelectorAll("select[data-values-for]").forEach(function (values) {
    var column = document.getElementById(values.getAttribute("data-values-for"));
    if (!column) { return; }
    function update() {
      values.querySelectorAll("optgroup").forEach(function (group) {
        var shown = !column.value || group.label === column.value;
        group.hidden = !shown;
        group.disabled = !shown;
      });
    }
    column.addEventListener("change", update);
    update();
  });
})();
