// Keyboard shortcuts of the grading page: 1-9 toggle an item of the current question, j/k move
// between questions, n/p between submissions, ? shows the list. Off while typing in a field.
//
// The current question is this script's own state (`current`, an index), never read back from
// the panel that htmx replaces: every new panel is marked from it as soon as it is swapped in.
//
// Item presses and n/p are queued and run one at a time, each only once the panel is "idle": no
// panel request in flight and the last swap settled. htmx 2 swaps the new panel in first and only
// processes it (binds hx-post to its forms) when the swap settles, 20 ms later; a button clicked
// in between has no htmx handler, so the browser submitted its form natively: a full page POST,
// redirected to the grading page, which reloaded with the first question current. That was the
// intermittent loss of the current question. Serialising also keeps two presses from racing:
// a response arriving for a panel that an earlier response has already replaced is dropped by
// htmx, and responses arriving out of order would show a stale panel.
(function () {
  "use strict";
  var current = 0;
  var pending = [];  // actions not yet run, oldest first: {item: id} or {go: "next"|"previous"}
  var requests = 0;  // panel requests in flight
  var settling = 0;  // panels swapped in but not settled yet (their forms not bound by htmx yet)
  var ready = document.readyState === "complete";  // htmx has processed the page
  var ownFocus = false;  // a focus move made by this script, not by the grader
  var focusedItem = null;

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

  function focusQuietly(element) {
    ownFocus = true;
    try { element.focus({ preventScroll: true }); } finally { ownFocus = false; }
  }

  function forPanel(event) {
    var target = event.detail && event.detail.target;
    return Boolean(target && target.id === "rubric-panel");
  }

  function idle() {
    return ready && requests === 0 && settling === 0;
  }

  // Runs the oldest queued action if the panel is idle. A click on an item makes htmx send its
  // request at once (htmx:beforeRequest, so the panel is busy again); the next action waits for
  // that request's panel to settle.
  function drain() {
    while (pending.length && idle()) {
      var action = pending.shift();
      var panel = document.getElementById("rubric-panel");
      if (!panel) return;
      if (action.go) {
        var url = action.go === "next" ? panel.dataset.nextUrl : panel.dataset.previousUrl;
        if (url) { pending.length = 0; window.location.assign(url); return; }
        continue;  // no such submission: nothing to do
      }
      var button = panel.querySelector('button.item[data-item="' + action.item + '"]');
      if (button) { button.click(); return; }
    }
  }

  function enqueue(action) {
    pending.push(action);
    drain();
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
      // The item is chosen now, from the question current now; it is sent when its turn comes.
      // Item ids stay the same from one panel to the next.
      var button = qs[current].querySelector('button.item[data-shortcut="' + key + '"]');
      if (button) {
        event.preventDefault();
        focusQuietly(button);  // keyboard focus follows the pressed item (restored after swaps)
        enqueue({ item: button.dataset.item });
      }
    } else if (key === "j") {
      current += 1; mark(); event.preventDefault();
    } else if (key === "k") {
      current -= 1; mark(); event.preventDefault();
    } else if (key === "n" || key === "p") {
      enqueue({ go: key === "n" ? "next" : "previous" });  // once the items pressed before are saved
    } else if (key === "?") {
      var help = document.getElementById("shortcut-help");
      if (help) help.open = !help.open;
    }
  });

  // Clicking or tabbing into a question makes it the current one; focus moved by this script or
  // by a swap (elements removed, focus given back) says nothing about where the grader is.
  document.addEventListener("focusin", function (event) {
    if (ownFocus || settling) return;
    var q = event.target.closest && event.target.closest("#rubric-panel fieldset.question");
    if (q) { current = Number(q.dataset.question) || 0; mark(); }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!forPanel(event)) return;
    if (!idle()) {
      // An item clicked with the mouse while the panel is busy: queue it behind the others
      // rather than racing them (its form is about to be replaced).
      var button = event.detail.elt && event.detail.elt.querySelector &&
        event.detail.elt.querySelector("button.item[data-item]");
      if (button) {
        event.preventDefault();
        enqueue({ item: button.dataset.item });
        return;
      }
    }
    requests += 1;
  });

  // A request that ends without a swap (an error, a refused response) frees the panel here; one
  // that swapped frees it when the new panel has settled. htmx fires afterRequest after the swap
  // (on the nearest element still in the page when the form itself was replaced).
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!forPanel(event)) return;
    requests = Math.max(0, requests - 1);
    window.setTimeout(drain, 0);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!forPanel(event) || !event.detail.shouldSwap) return;
    var active = document.activeElement;
    focusedItem = active && active.dataset ? active.dataset.item || null : null;
  });

  // The new panel is in the page: mark it and give the keyboard focus back to the item that had
  // it, before anything else can run. Its forms work once htmx has settled it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!forPanel(event)) return;
    settling += 1;
    mark();
    if (focusedItem) {
      var again = document.querySelector('#rubric-panel button.item[data-item="' + focusedItem + '"]');
      if (again) focusQuietly(again);
      focusedItem = null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!forPanel(event)) return;
    settling = Math.max(0, settling - 1);
    mark();
    window.setTimeout(drain, 0);  // once htmx has finished settling
  });

  // The page is ready once htmx has processed it: htmx fires htmx:load on the body then. Without
  // htmx (it failed to load) the forms are plain forms, ready with the document.
  function pageReady() {
    ready = true;
    mark();
    drain();
  }
  document.addEventListener("htmx:load", function (event) {
    if (event.target === document.body) pageReady();
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) mark(); else pageReady();
  });
  window.addEventListener("load", pageReady);
  if (ready) mark();
})();
