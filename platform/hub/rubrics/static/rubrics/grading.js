// Keyboard shortcuts of the grading page: 1-9 toggle an item of the current question, j/k move
// between questions, n/p between submissions, ? shows the list. Off while typing in a field.
(function () {
  "use strict";
  var current = 0;

  function questions() {
    return Array.prototype.slice.call(document.querySelectorAll("#rubric-panel fieldset.question"));
  }

  function mark() {
    var qs = questions();
    if (!qs.length) return;
    current = Math.max(0, Math.min(current, qs.length - 1));
    qs.forEach(function (q, i) {
      q.classList.toggle("current", i === current);
      if (i === current) q.setAttribute("aria-current", "true"); else q.removeAttribute("aria-current");
    });
  }

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var panel = document.getElementById("rubric-panel");
    if (!panel) return;
    var qs = questions();
    var key = event.key;
    if (key >= "1" && key <= "9" && qs.length) {
      var button = qs[current].querySelector('button.item[data-shortcut="' + key + '"]');
      // Focus first: the swap then gives the focus back to this item, so the question the
      // grader is on stays the current one whatever had the focus before.
      if (button) { event.preventDefault(); button.focus({ preventScroll: true }); button.click(); }
    } else if (key === "j") {
      current += 1; mark(); event.preventDefault();
    } else if (key === "k") {
      current -= 1; mark(); event.preventDefault();
    } else if (key === "n" && panel.dataset.nextUrl) {
      window.location.assign(panel.dataset.nextUrl);
    } else if (key === "p" && panel.dataset.previousUrl) {
      window.location.assign(panel.dataset.previousUrl);
    } else if (key === "?") {
      var help = document.getElementById("shortcut-help");
      if (help) help.open = !help.open;
    }
  });

  // Clicking or focusing inside a question makes it the current one; focus moved about by a
  // swap in progress (elements removed, focus restored) says nothing about where the grader is.
  var swapping = false;
  document.addEventListener("htmx:beforeSwap", function () { swapping = true; });
  document.addEventListener("focusin", function (event) {
    if (swapping) return;
    var q = event.target.closest && event.target.closest("#rubric-panel fieldset.question");
    if (q) { current = Number(q.dataset.question) || 0; mark(); }
  });

  // The panel is replaced after each change (outerHTML: the old element is gone, so listen for
  // the new content's load event, which bubbles to the document): keep the current question.
  // Keyboard users keep their place: the button they pressed gets the focus back.
  var focusedItem = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedItem = active && active.dataset ? active.dataset.item || null : null;
  });
  // htmx "settles" a swap by putting back, a moment later, the attributes of elements that keep
  // their id; the question fieldsets carry no id for that reason, and the marking runs again
  // once the swap has settled.
  document.addEventListener("htmx:afterSettle", function () {
    swapping = false;
    mark();
    window.setTimeout(mark, 50);  // once htmx has removed the old panel for good
  });
  document.addEventListener("htmx:load", function () {
    mark();
    if (focusedItem) {
      var again = document.querySelector('#rubric-panel button.item[data-item="' + focusedItem + '"]');
      if (again) again.focus({ preventScroll: true });
      focusedItem = null;
    }
  });
  document.addEventListener("DOMContentLoaded", mark);
})();
