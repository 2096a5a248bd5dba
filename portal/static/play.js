/* The alignment puzzle's board: moves, undo/redo, live score, submission.
 *
 * The score is the server's puzzle score (games/flanks.py: the sum-of-pairs
 * score of the window, with gaps that run into the window's flanks costing
 * as in the whole alignment, and each row scored against the alignment's
 * other rows, fixed, too) with the puzzle's scheme, which the page passes
 * as JSON in data-puzzle; pairScore follows naive_window_score in
 * tests/games/naive.py line by line.  The moves
 * are those of games/puzzles.py: move().
 */
(function () {
  "use strict";
  var root = document.getElementById("play");
  if (!root) { return; }
  var puzzle = JSON.parse(root.getAttribute("data-puzzle"));
  var scheme = puzzle.scheme;
  var GAP = "-";
  // Block size in pixels: fitted to the board's box (see fitCells), never
  // under MIN_CELL so that a finger can still take a block.
  var MIN_CELL = 24, MAX_CELL = 40;
  // More fixed rows than this start hidden (they still count: see score).
  var FOLD_AFTER = 6;
  var CELL = 28;
  var zoom = 1;
  var width = puzzle.width;
  var sequences = puzzle.sequences;
  var board = document.getElementById("board");
  var scoreEl = document.getElementById("score");
  var bestEl = document.getElementById("best");
  var verdictEl = document.getElementById("verdict");
  var selectionEl = document.getElementById("selection");
  var resultEl = document.getElementById("server-result");
  var undoButton = document.getElementById("undo");
  var redoButton = document.getElementById("redo");
  var tailBox = document.getElementById("tail-mode");
  var safeBox = document.getElementById("safe-colours");
  var bestText = root.getAttribute("data-best");
  var best = bestText === "" ? null : Number(bestText);

  // -- scoring --------------------------------------------------------------
  var index = null;
  if (scheme.matrix) {
    index = {};
    for (var a = 0; a < scheme.alphabet.length; a++) { index[scheme.alphabet[a]] = a; }
  }

  function substitution(t, q) {
    if (index) { return scheme.matrix[index[t]][index[q]]; }
    if (scheme.wildcard && (t === scheme.wildcard || q === scheme.wildcard)) { return 0; }
    return t === q ? scheme.match_score : scheme.mismatch_score;
  }

  function lettersIn(row) {
    var n = 0;
    for (var i = 0; i < row.length; i++) { if (row[i] !== GAP) { n++; } }
    return n;
  }

  // The window's context in its alignment (games/flanks.py): gaps that run
  // into the flanks cost as they do in the whole alignment.  i and j are the
  // rows' numbers on the whole board, which the flanks are indexed by.
  // perColumn, when given, receives each column's share of the score: the
  // substitution or gap step scored at that column (a gap run into a flank at
  // the window's first or last column), so the shares add up to it.
  var flanks = scheme.flanks || null;

  function pairScore(target, query, i, j, perColumn) {
    var index = { target: i, query: j };
    var other = { target: j, query: i };
    var stepOf = { target: "insertion", query: "deletion" };
    var consumed = {
      target: flanks && flanks.left_has[i] ? 1 : 0,
      query: flanks && flanks.left_has[j] ? 1 : 0
    };
    var letters = {
      target: consumed.target + lettersIn(target) + (flanks && flanks.right_has[i] ? 1 : 0),
      query: consumed.query + lettersIn(query) + (flanks && flanks.right_has[j] ? 1 : 0)
    };
    var state = null;
    var total = 0;
    function position(gapped) {
      if (consumed[gapped] === 0) { return "left"; }
      if (consumed[gapped] === letters[gapped]) { return "right"; }
      return "internal";
    }
    function flankRun(held, which) {
      // A flank's gap run touching the window: ``held`` letters of the other row.
      ["target", "query"].forEach(function (gapped) {
        var count = held[index[gapped]][other[gapped]];
        if (count > 0) {
          var step = stepOf[gapped], where = position(gapped);
          var kind = which === "right" && state === step ? "extend" : "open";
          var cost = scheme[kind + "_" + where + "_" + step + "_score"] +
            (count - 1) * scheme["extend_" + where + "_" + step + "_score"];
          total += cost;
          if (perColumn) { perColumn[which === "left" ? 0 : target.length - 1] += cost; }
          state = step;
        }
      });
    }
    if (flanks) { flankRun(flanks.left_held, "left"); }
    for (var c = 0; c < target.length; c++) {
      var t = target[c], q = query[c], step;
      if (t === GAP && q === GAP) { continue; }
      var value;
      if (t !== GAP && q !== GAP) {
        value = substitution(t, q);
        step = "diagonal";
      } else {
        var gapped = t === GAP ? "target" : "query";
        step = stepOf[gapped];
        var kind = state === step ? "extend" : "open";
        value = scheme[kind + "_" + position(gapped) + "_" + step + "_score"];
      }
      total += value;
      if (perColumn) { perColumn[c] += value; }
      state = step;
      if (t !== GAP) { consumed.target++; }
      if (q !== GAP) { consumed.query++; }
    }
    if (flanks) { flankRun(flanks.right_held, "right"); }
    return total;
  }

  // The alignment's other rows, fixed (games/flanks.py): each puzzle row is
  // scored against them too, in the alignment's order (flanks.order), and
  // their flank entries follow the puzzle's rows.
  var context = (flanks && flanks.context) || [];
  var order = (flanks && flanks.order) || [];

  function padded(row, size) {
    while (row.length < size) { row += GAP; }
    return row;
  }

  // numbers: the rows' numbers on the whole board when rows is some of them.
  function score(rows, perColumn, numbers) {
    var total = 0;
    for (var i = 0; i < rows.length; i++) {
      for (var j = i + 1; j < rows.length; j++) {
        total += pairScore(rows[i], rows[j], numbers ? numbers[i] : i,
          numbers ? numbers[j] : j, perColumn);
      }
    }
    var size = rows.length ? rows[0].length : 0;
    context.forEach(function (fixed) { size = Math.max(size, fixed.length); });
    for (i = 0; i < rows.length; i++) {
      var a = numbers ? numbers[i] : i, row = padded(rows[i], size);
      for (var k = 0; k < context.length; k++) {
        var b = sequences.length + k, other = padded(context[k], size);
        total += order[a] < order[b] ? pairScore(row, other, a, b, perColumn)
          : pairScore(other, row, b, a, perColumn);
      }
    }
    return total;
  }

  // -- layouts and moves (games/puzzles.py) ----------------------------------
  function positions(row) {
    var out = [];
    for (var i = 0; i < row.length; i++) { if (row[i] !== GAP) { out.push(i); } }
    return out;
  }

  function layout(sequence, cols) {
    var out = [];
    for (var i = 0; i < width; i++) { out.push(GAP); }
    for (var k = 0; k < cols.length; k++) { out[cols[k]] = sequence[k]; }
    return out.join("");
  }

  function move(cols, k, delta, tail) {
    var n = cols.length;
    if (delta === 0 || k < 0 || k >= n) { return null; }
    var next = cols.slice();
    var last = tail ? n : k + 1;
    for (var i = k; i < last; i++) { next[i] += delta; }
    if (delta > 0) {
      for (i = k + 1; i < n; i++) { if (next[i] <= next[i - 1]) { next[i] = next[i - 1] + 1; } }
    } else {
      for (i = k - 1; i >= 0; i--) { if (next[i] >= next[i + 1]) { next[i] = next[i + 1] - 1; } }
    }
    if (next[0] < 0 || next[n - 1] >= width) { return null; }
    return next;
  }

  function rowsOf(state) {
    return state.map(function (cols, r) { return layout(sequences[r], cols); });
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // -- state and history -------------------------------------------------------
  var start = puzzle.start.map(positions);
  var history = [start];
  var at = 0;
  var current = start;
  var selRow = 0, selBlock = 0;

  // -- rows joining one at a time (Phylo's progression) -------------------------
  // puzzle.stages lists, for each number of rows shown, the par of those rows;
  // reaching it brings in the next row.  The whole board is always what is sent.
  var everyRow = sequences.map(function (s, r) { return r; });
  var stages = puzzle.stages && puzzle.stages.length ? puzzle.stages
    : [{ rows: everyRow, par: puzzle.par }];
  var stage = 0;
  function visibleRows() { return stages[stage].rows; }
  function shown() { return visibleRows().length; }
  function isShown(r) { return visibleRows().indexOf(r) >= 0; }
  function stagePar() { return stages[stage].par; }
  function pick(rows) { return visibleRows().map(function (r) { return rows[r]; }); }
  var stageText = document.getElementById("stage-text");

  function advance() {
    var joined = 0;
    while (stage < stages.length - 1 &&
           score(pick(rowsOf(current)), null, visibleRows()) >= stagePar() - 1e-9) {
      stage++;
      joined++;
    }
    if (joined) {
      stageText.textContent = "Par reached for these rows: " + (joined === 1 ? "a new row joins" :
        joined + " new rows join") + " the board (" + shown() + " of " + sequences.length + ").";
      build();
    }
  }

  function commit(next) {
    if (same(next, history[at])) { current = history[at]; render(); return; }
    history = history.slice(0, at + 1);
    history.push(next);
    at = history.length - 1;
    current = next;
    hinted = null;
    advance();
    render();
  }

  function undo() { if (at > 0) { at--; current = history[at]; render(); } }
  function redo() { if (at < history.length - 1) { at++; current = history[at]; render(); } }
  function reset() { commit(start.map(function (c) { return c.slice(); })); }

  function moveSelected(delta, tail) {
    var next = move(current[selRow], selBlock, delta, tail);
    if (!next) { return; }
    var state = current.slice();
    state[selRow] = next;
    commit(state);
  }

  // -- drawing ------------------------------------------------------------------
  var tracks = [];
  var hintCells = [];
  var columnCells = [];
  var hinted = null;  // [row, block] of the block the last hint pointed at

  // Blocks as large as the board's box allows for the puzzle's width, times the
  // player's zoom; a board wider than its box scrolls inside it, never the page.
  function fitCells() {
    fitEdges();
    var label = window.matchMedia("(max-width: 40rem)").matches ? 56 : 128;
    var room = board.clientWidth - label - 24;
    var fitted = Math.floor(room / (width + leftCols + rightCols));
    CELL = Math.round(Math.max(MIN_CELL, Math.min(MAX_CELL, fitted)) * zoom);
    CELL = Math.max(16, CELL);
    board.style.setProperty("--cell", CELL + "px");
    root.setAttribute("data-cell", String(CELL));
  }

  // The alignment just outside the window, greyed either side of every row
  // (scheme.edges: puzzle rows, then the fixed rows), so a gap at the board's
  // edge is seen to run on.  Display only: the flanks score it.
  // A phone shows the three columns nearest the board on each side.
  var edges = scheme.edges || null;
  var leftCols = 0, rightCols = 0;
  function fitEdges() {
    if (!edges) { return; }
    var most = window.matchMedia("(max-width: 40rem)").matches ? 3 : 6;
    leftCols = 0;
    rightCols = 0;
    edges.left.forEach(function (text) { leftCols = Math.max(leftCols, Math.min(most, text.length)); });
    edges.right.forEach(function (text) { rightCols = Math.max(rightCols, Math.min(most, text.length)); });
  }

  function edge(text, cols, side) {
    var box = document.createElement("span");
    box.className = "edge edge-" + side;
    box.setAttribute("aria-hidden", "true");
    box.style.width = (cols * CELL) + "px";
    for (var c = 0; text && c < text.length; c++) {
      if (text[c] === GAP) { continue; }
      var letter = document.createElement("span");
      letter.className = "fixed-block res-" + text[c];
      letter.textContent = text[c];
      letter.style.left = (c * CELL) + "px";
      box.appendChild(letter);
    }
    return box;
  }

  // edgeRow: the row's number in scheme.edges (undefined: no letters beside it).
  function labelled(text, className, edgeRow) {
    var row = document.createElement("div");
    row.className = "play-row " + className;
    var label = document.createElement("span");
    label.className = "row-label";
    label.textContent = text;
    var track = document.createElement("div");
    track.className = "track";
    track.style.width = (width * CELL) + "px";
    row.appendChild(label);
    var has = edges && edgeRow !== undefined;
    if (leftCols) {
      var left = has ? edges.left[edgeRow] : "";
      row.appendChild(edge(left.slice(Math.max(0, left.length - leftCols)), leftCols, "left"));
    }
    row.appendChild(track);
    if (rightCols) {
      row.appendChild(edge(has ? edges.right[edgeRow].slice(0, rightCols) : "", rightCols, "right"));
    }
    board.appendChild(row);
    return track;
  }

  function build() {
    fitCells();
    board.classList.add("kind-" + puzzle.kind);
    board.textContent = "";
    tracks = [];
    hintCells = [];
    columnCells = [];
    sequences.forEach(function (sequence, r) {
      if (!isShown(r)) { return; }
      var track = labelled(puzzle.names[r] || ("row " + (r + 1)), "sequence-row", r);
      track.setAttribute("data-row", String(r));
      for (var k = 0; k < sequence.length; k++) {
        var block = document.createElement("span");
        block.className = "block res-" + sequence[k];
        block.textContent = sequence[k];
        block.setAttribute("data-row", String(r));
        block.setAttribute("data-block", String(k));
        track.appendChild(block);
      }
      tracks[r] = track;
    });
    context.forEach(function (fixed, k) {
      if (!showContext) { return; }
      var name = edges && edges.names ? edges.names[k] : "";
      var track = labelled(name || ("fixed row " + (k + 1)), "context-row", sequences.length + k);
      track.setAttribute("title", "A fixed row of the alignment: it does not move");
      for (var c = 0; c < fixed.length; c++) {
        if (fixed[c] === GAP) { continue; }
        var letter = document.createElement("span");
        letter.className = "fixed-block res-" + fixed[c];
        letter.textContent = fixed[c];
        letter.style.left = (c * CELL) + "px";
        track.appendChild(letter);
      }
    });
    var hintTrack = labelled("agreement", "hint-row");
    hintTrack.classList.add("hints");
    var columnTrack = labelled("column score", "column-row");
    columnTrack.classList.add("column-scores");
    columnTrack.id = "column-scores";
    for (var c = 0; c < width; c++) {
      var cell = document.createElement("span");
      cell.className = "hint";
      cell.style.left = (c * CELL) + "px";
      hintTrack.appendChild(cell);
      hintCells.push(cell);
      var number = document.createElement("span");
      number.className = "col-score";
      number.style.left = (c * CELL) + "px";
      number.setAttribute("data-column", String(c));
      columnTrack.appendChild(number);
      columnCells.push(number);
    }
    if (!isShown(selRow)) { selRow = visibleRows()[0]; selBlock = 0; }
  }

  function agreement(rows, c) {
    var counts = {}, top = 0;
    for (var r = 0; r < rows.length; r++) {
      var letter = rows[r][c];
      if (letter === GAP) { continue; }
      counts[letter] = (counts[letter] || 0) + 1;
      if (counts[letter] > top) { top = counts[letter]; }
    }
    return top < 2 ? 0 : top / rows.length;
  }

  function render() {
    var rows = rowsOf(current);
    var visible = pick(rows);
    tracks.forEach(function (track, r) {
      var blocks = track.children;
      for (var k = 0; k < blocks.length; k++) {
        blocks[k].style.left = (current[r][k] * CELL) + "px";
        blocks[k].classList.toggle("selected", r === selRow && k === selBlock);
        blocks[k].classList.toggle("hinted", !!hinted && hinted[0] === r && hinted[1] === k);
      }
    });
    hintCells.forEach(function (cell, c) {
      cell.className = "hint agree-" + Math.floor(agreement(visible, c) * 4);
    });
    var perColumn = [];
    for (var c = 0; c < width; c++) { perColumn.push(0); }
    var value = score(visible, perColumn, visibleRows());
    columnCells.forEach(function (cell, c) {
      var share = Math.round(perColumn[c] * 100) / 100;
      cell.textContent = share === 0 ? "" : String(share);
      cell.className = "col-score" + (share > 0 ? " gain" : (share < 0 ? " cost" : ""));
    });
    root.setAttribute("data-column-scores", JSON.stringify(perColumn));
    var whole = visible.length === rows.length ? value : score(rows);
    var par = stagePar();
    scoreEl.textContent = String(value);
    document.getElementById("par").textContent = String(par);
    var stageEl = document.getElementById("stage");
    stageEl.hidden = stages.length === 1;
    document.getElementById("rows-shown").textContent = String(shown());
    root.setAttribute("data-score", String(whole));
    root.setAttribute("data-stage-score", String(value));
    root.setAttribute("data-shown", String(shown()));
    root.setAttribute("data-rows", JSON.stringify(rows));
    if (shown() === rows.length) {
      if (best === null || whole > best) { best = whole; }
      bestEl.textContent = best === null ? "—" : String(best);
    }
    verdictEl.className = "verdict";
    if (shown() < rows.length) {
      verdictEl.textContent = "Reach par for these rows to bring in the next one.";
    } else if (value > puzzle.par) {
      verdictEl.textContent = "You beat par! Submit to record it.";
      verdictEl.classList.add("success");
    } else if (value === puzzle.par) {
      verdictEl.textContent = "You reached par. Can you beat it?";
      verdictEl.classList.add("success");
    } else {
      verdictEl.textContent = "";
    }
    undoButton.disabled = at === 0;
    redoButton.disabled = at === history.length - 1;
    var col = current[selRow][selBlock];
    selectionEl.textContent = "Selected: row " + (selRow + 1) + " (" + (puzzle.names[selRow] || "") +
      "), block " + (selBlock + 1) + " of " + sequences[selRow].length + ", letter " +
      sequences[selRow][selBlock] + " in column " + (col + 1) + ".";
  }

  // -- keyboard ---------------------------------------------------------------------
  board.addEventListener("keydown", function (event) {
    var key = event.key;
    var ctrl = event.ctrlKey || event.metaKey;
    var handled = true;
    if ((ctrl && (key === "z" || key === "Z") && !event.shiftKey) || (!ctrl && key === "u")) {
      undo();
    } else if ((ctrl && (key === "y" || ((key === "z" || key === "Z") && event.shiftKey))) ||
               (!ctrl && key === "y")) {
      redo();
    } else if (!ctrl && (key === "r" || key === "R")) {
      reset();
    } else if (key === "ArrowUp" || key === "ArrowDown") {
      var order = visibleRows();
      var at_ = order.indexOf(selRow) + (key === "ArrowUp" ? -1 : 1);
      selRow = order[Math.max(0, Math.min(order.length - 1, at_))];
      selBlock = Math.min(selBlock, sequences[selRow].length - 1);
      render();
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      var delta = key === "ArrowLeft" ? -1 : 1;
      if (event.shiftKey) {
        moveSelected(delta, ctrl || tailBox.checked);
      } else {
        selBlock = Math.max(0, Math.min(sequences[selRow].length - 1, selBlock + delta));
        render();
      }
    } else if (key === "Home" || key === "End") {
      selBlock = key === "Home" ? 0 : sequences[selRow].length - 1;
      render();
    } else {
      handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  // -- mouse and touch ---------------------------------------------------------------
  var drag = null;
  board.addEventListener("pointerdown", function (event) {
    var block = event.target.closest(".block");
    if (!block) { return; }
    event.preventDefault();
    board.focus({ preventScroll: true });
    selRow = Number(block.getAttribute("data-row"));
    selBlock = Number(block.getAttribute("data-block"));
    drag = { id: event.pointerId, x: event.clientX, row: selRow, block: selBlock,
             from: current, tail: event.shiftKey || tailBox.checked, block_el: block };
    block.setPointerCapture(event.pointerId);
    render();
  });
  board.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.id) { return; }
    var delta = Math.round((event.clientX - drag.x) / CELL);
    var next = null;
    // Go as far as the board allows in the direction of the drag.
    while (delta !== 0 && !(next = move(drag.from[drag.row], drag.block, delta, drag.tail))) {
      delta += delta > 0 ? -1 : 1;
    }
    var state = drag.from.slice();
    if (next) { state[drag.row] = next; }
    current = state;
    render();
  });
  function endDrag(event) {
    if (!drag || event.pointerId !== drag.id) { return; }
    var moved = current;
    current = drag.from;
    drag = null;
    commit(moved);
  }
  board.addEventListener("pointerup", endDrag);
  board.addEventListener("pointercancel", endDrag);

  undoButton.addEventListener("click", undo);
  redoButton.addEventListener("click", redo);
  document.getElementById("reset").addEventListener("click", reset);

  // -- colours ------------------------------------------------------------------------
  function applyColours() {
    board.classList.toggle("safe-colours", safeBox.checked);
    try { window.localStorage.setItem("play-safe-colours", safeBox.checked ? "1" : ""); }
    catch (e) { /* storage may be off */ }
  }
  try { safeBox.checked = window.localStorage.getItem("play-safe-colours") === "1"; }
  catch (e) { /* storage may be off */ }
  safeBox.addEventListener("change", applyColours);

  // -- the leaderboard, refreshed after each accepted solution ------------------------------
  // The puzzle's JSON carries its all-time leaderboard; another period waits for a reload.
  // The server keeps that JSON for data-cache-ms, so the fetch waits that long.
  var refreshes = 0;  // data-leaderboard-refreshes: the browser tests wait on it
  function refreshLeaderboard() {
    if (root.getAttribute("data-period") !== "all") { return; }
    window.setTimeout(fetchLeaderboard, Number(root.getAttribute("data-cache-ms") || 0) + 100);
  }
  function fetchLeaderboard() {
    fetch(root.getAttribute("data-puzzle-url"), { credentials: "same-origin",
                                                  headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var table = document.getElementById("puzzle-leaderboard");
        var body = table.querySelector("tbody");
        while (body.firstChild) { body.removeChild(body.firstChild); }
        data.leaderboard.forEach(function (entry) {
          var row = document.createElement("tr");
          [String(entry.rank), entry.nickname, String(entry.score)].forEach(function (text) {
            var cell = document.createElement("td");
            cell.textContent = text;
            row.appendChild(cell);
          });
          body.appendChild(row);
        });
        table.hidden = data.leaderboard.length === 0;
        var empty = document.getElementById("no-leaders");
        if (empty) { empty.hidden = data.leaderboard.length > 0; }
        refreshes++;
        root.setAttribute("data-leaderboard-refreshes", String(refreshes));
      })
      .catch(function () { /* the table stays as it was; a reload shows the new one */ });
  }

  // -- submitting -------------------------------------------------------------------------
  var answers = 0;  // data-answers counts the server's replies (the browser tests wait on it)
  document.getElementById("submit").addEventListener("click", function () {
    var body = { rows: rowsOf(current) };
    var nicknameInput = document.getElementById("play-nickname");
    if (nicknameInput && nicknameInput.value.trim()) { body.nickname = nicknameInput.value.trim(); }
    resultEl.className = "";
    resultEl.textContent = "Sending…";
    fetch(root.getAttribute("data-submit-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": root.getAttribute("data-csrf") },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      answers++;
      root.setAttribute("data-answers", String(answers));
      if (!answer.ok) {
        resultEl.className = "error";
        resultEl.textContent = answer.data.error ? answer.data.error.message : "The server refused it.";
        return;
      }
      root.setAttribute("data-server-score", String(answer.data.score));
      resultEl.className = answer.data.reaches_par ? "ok" : "";
      resultEl.textContent = answer.data.message;
      var nextLink = document.getElementById("next-link");
      if (answer.data.reaches_par && root.getAttribute("data-next-url")) { nextLink.hidden = false; }
      hinted = null;
      refreshLeaderboard();
    }).catch(function () {
      resultEl.className = "error";
      resultEl.textContent = "Could not reach the server; your layout is still here, try again.";
    });
  });

  // -- hints ------------------------------------------------------------------------------
  var hintButton = document.getElementById("hint");
  var hintText = document.getElementById("hint-text");
  var hintAnswers = 0;  // data-hint-answers: the browser tests wait on it
  hintButton.addEventListener("click", function () {
    hintButton.disabled = true;
    hintText.textContent = "Looking for a move…";
    fetch(root.getAttribute("data-hint-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": root.getAttribute("data-csrf") },
      body: JSON.stringify({ rows: rowsOf(current), shown: visibleRows() })
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      hintAnswers++;
      root.setAttribute("data-hint-answers", String(hintAnswers));
      hintButton.disabled = false;
      if (!answer.ok) {
        hintText.textContent = answer.data.error ? answer.data.error.message : "No hint now.";
        return;
      }
      hintText.textContent = answer.data.message;
      if (answer.data.row !== null) {
        hinted = [answer.data.row, answer.data.block];
        selRow = answer.data.row;
        selBlock = answer.data.block;
        root.setAttribute("data-hint", JSON.stringify(answer.data));
        render();
      }
    }).catch(function () {
      hintButton.disabled = false;
      hintText.textContent = "Could not reach the server; try again.";
    });
  });

  // -- the fixed rows: many of them fill a screen, so past a few they start folded ------------
  var showContext = context.length <= FOLD_AFTER;
  var contextButton = document.getElementById("context-toggle");
  function labelContext() {
    contextButton.textContent = (showContext ? "Hide" : "Show") + " the " + context.length +
      " fixed row" + (context.length === 1 ? "" : "s");
    contextButton.setAttribute("aria-pressed", showContext ? "true" : "false");
  }
  if (context.length) {
    contextButton.hidden = false;
    labelContext();
    contextButton.addEventListener("click", function () {
      showContext = !showContext;
      labelContext();
      rebuild();
    });
  }

  // -- block size -------------------------------------------------------------------------
  function rebuild() { build(); render(); }
  document.getElementById("zoom-in").addEventListener("click", function () {
    zoom = Math.min(2, zoom * 1.25); rebuild();
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    zoom = Math.max(0.5, zoom / 1.25); rebuild();
  });
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(rebuild, 150);
  });

  advance();
  build();
  applyColours();
  render();
})();
