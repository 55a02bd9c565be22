// Rumbo wallboard: listens to the programme's live event stream and fetches the board again
// whenever the live state changes. Without this script the page reloads itself (meta refresh).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.EventSource || !window.fetch) {
    return;
  }
  var busy = false;
  var again = false;
  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(board.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.text();
      })
      .then(function (html) {
        var tmp = document.createElement("div");
        tmp.innerHTML = html;
        var fresh = tmp.querySelector("#board");
        board.innerHTML = fresh ? fresh.innerHTML : html;
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  var source = new EventSource(board.getAttribute("data-events"));
  source.addEventListener("board", refresh);
  // The longest wait and the time in state grow without events: redraw now and then.
  window.setInterval(refresh, 10000);
})();
