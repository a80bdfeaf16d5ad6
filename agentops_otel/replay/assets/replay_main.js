// The page: header, filter, scrubbing through the rows, keys, `#step-N`, and what moves the view.
var visible = [], cursor = 0, filtering = false, rowHeight = 24;
var viewportBox = { top: 0, height: 0 }, trackBox = { left: 0, width: 1 };

function renderHeader() {
  document.title = "Replay: " + S.name;
  $("session-name").textContent = S.name;
  $("session-name").title = S.name;
  $("session-id").textContent = S.session_id;
  $("trace-id").textContent = S.trace_id;
  var status = $("status");
  status.textContent = S.end_state === null ? "open" : String(S.end_state);
  status.className = "badge " + stateClass(S.end_state);
  $("state-reason").textContent = S.end_state_reason ? String(S.end_state_reason) : "";
  if (DATA.backend_url && /^https?:\/\//i.test(DATA.backend_url)) {
    var link = $("backend-link");
    link.href = DATA.backend_url;
    link.hidden = false;
  }
  var facts = [
    ["Start", fmtTime(S.start_ns)], ["Duration", fmtDuration(S.duration)],
    ["Cost", fmtCost(S.cost, S.cost_complete, S.cost_lower_bound)],
    ["Tokens in/out", S.usage.input_tokens + " / " + S.usage.output_tokens],
    ["LLM calls", S.llm_calls], ["Steps", N], ["Service", S.service || "\u2013"]
  ];
  var dl = $("facts");
  facts.forEach(function (f) {
    var d = el("div");
    d.appendChild(el("dt", null, f[0]));
    d.appendChild(el("dd", null, f[1]));
    dl.appendChild(d);
  });
  if (S.tags.length) {
    var d = el("div"), dd = el("dd");
    d.appendChild(el("dt", null, "Tags"));
    S.tags.forEach(function (t) { dd.appendChild(el("span", "tag", t)); });
    d.appendChild(dd);
    dl.appendChild(d);
  }
  if (S.attributes) $("session-attrs").appendChild(attributesNode(S.attributes));
  else $("session-attrs").parentNode.hidden = true;
  $("copy-id").addEventListener("click", function () { copyText(S.session_id, $("copy-id")); });
  var kinds = {};
  for (var i = 0; i < N; i++) kinds[kindOf(i)] = true;
  Object.keys(kinds).sort().forEach(function (k) { $("kind-filter").appendChild(el("option", null, KIND_LABELS[k])).value = k; });
  $("failure-note").textContent = S.failure_note;
  $("jump-failure").disabled = S.failing === null;
  $("jump-failure").title = S.failure_note;
  if (S.why && S.why.length) {  // the cause chain, each link one click from its step
    S.why.forEach(function (link) {
      var item = el("li", null, link[1] === null ? String(link[0]) : "");
      if (link[1] !== null) {
        var a = el("a", null, String(link[0]));
        a.href = "#step-" + (link[1] + 1);
        a.addEventListener("click", function (ev) { ev.preventDefault(); goToStep(link[1]); keepInView(link[1]); });
        item.appendChild(a);
      }
      $("why-chain").appendChild(item);
    });
    $("why").hidden = false;
  }
  var anyError = false;
  for (var e = 0; e < N && !anyError; e++) anyError = C.mark[e] !== 0;
  $("next-error").hidden = !anyError;
}

// Rows in view -----------------------------------------------------------------------------------
function measure() {
  var viewport = $("viewport");
  viewportBox.top = viewport.scrollTop;
  viewportBox.height = viewport.clientHeight;
  rowHeight = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row-h")) || 24;
  var ticks = $("ticks").getBoundingClientRect();
  trackBox.left = ticks.left;
  trackBox.width = Math.max(1, ticks.width);
}
function renderRows() {
  var first = Math.max(0, Math.floor(viewportBox.top / rowHeight) - OVERSCAN);
  var last = Math.min(visible.length, first + Math.ceil(viewportBox.height / rowHeight) + 2 * OVERSCAN);
  var fragment = document.createDocumentFragment();
  for (var p = first; p < last; p++) fragment.appendChild(rowFor(visible[p], p, p === cursor, rowHeight, filtering));
  $("rows").replaceChildren(fragment);
}
function layout() {
  $("spacer").style.height = (visible.length * rowHeight) + "px";
  var slider = $("slider");
  slider.max = String(Math.max(0, visible.length - 1));
  slider.disabled = visible.length === 0;
  var hidden = N - visible.length;
  $("match-count").textContent = !hidden ? "" : filtering ? visible.length + " of " + N + " steps" : hidden + " steps folded";
  renderRows();
}
function scrollToCursor() {
  var top = cursor * rowHeight;
  if (top < viewportBox.top || top + rowHeight > viewportBox.top + viewportBox.height) {
    var max = Math.max(0, visible.length * rowHeight - viewportBox.height);
    viewportBox.top = Math.min(max, Math.max(0, Math.round(top - viewportBox.height / 2)));
    $("viewport").scrollTop = viewportBox.top;
  }
}
// The rows to show: every step not folded away, or those the filter matches. A text search over a
// long session runs in slices of a few milliseconds; a newer search cancels an older one.
var searchRun = 0;
function recompute(keep) {
  var current = visible[cursor];
  var needle = $("search").value.trim().toLowerCase(), kind = $("kind-filter").value;
  var run = ++searchRun, found = [], k = 0, sliced = needle !== "" && N > 2000;
  filtering = needle !== "" || kind !== "";
  if (!filtering) computeFolds();
  function finish() {
    visible = found;
    var at = visible.indexOf(current);
    cursor = at >= 0 ? at : keep && current !== undefined ? nearestVisible(current) : 0;
    layout();
    setPosition();
  }
  function some() {
    if (run !== searchRun) return;
    var until = performance.now() + 12;
    for (; k < order.length; k++) {
      if (sliced && (k & 127) === 0 && performance.now() > until) { setTimeout(some, 0); return; }
      var i = order[k];
      if (filtering ? (kind && kindOf(i) !== kind) || (needle && !stepMatches(i, needle)) : folded[i]) continue;
      found.push(i);
    }
    finish();
  }
  if (sliced) $("match-count").textContent = "searching\u2026";
  some();
}
function nearestVisible(i) {  // after folding: the row that now stands for the current step
  for (var p = C.parent[i]; p >= 0; p = C.parent[p]) { var at = visible.indexOf(p); if (at >= 0) return at; }
  return 0;
}

// The cursor -----------------------------------------------------------------------------------
var hashTimer = null;
function updateHash(hash) {  // browsers throttle history updates: the address follows once it rests
  clearTimeout(hashTimer);
  var before = location.hash;  // an address the user changes meanwhile wins over ours
  hashTimer = setTimeout(function () {
    if (location.hash === before && location.hash !== hash) history.replaceState(null, "", hash);
  }, 120);
}
function setPosition() {
  var i = visible[cursor];
  $("slider").value = String(cursor);
  $("position").textContent = visible.length ? "Step " + (i + 1) + " of " + N : "";
  if (visible.length) { updateHash("#step-" + (i + 1)); keepInView(i); }
  scrollToCursor();
  renderRows();
  drawMinimap(i);
  var panel = $("detail");
  if (visible.length) renderDetail(panel, i);
  else panel.replaceChildren(el("p", "muted", N ? "No step matches the filter." : "No steps recorded."));
}
function moveTo(position) {
  if (!visible.length) return;
  cursor = Math.max(0, Math.min(visible.length - 1, position));
  setPosition();
}
function goToStep(i) {  // clears a filter or opens folds that hide the step
  if (i < 0 || i >= N) return;
  var at = visible.indexOf(i);
  if (at < 0) {
    $("search").value = "";
    $("kind-filter").value = "";
    unfoldAncestors(i);
    cursor = 0;
    visible = [];
    recompute(false);
    at = visible.indexOf(i);
  }
  moveTo(at);
}
function toggleFold(i) {
  if (!kids[i]) return;
  setCollapsed(i, !collapsed[i]);
  recompute(true);
}
function nextError() {
  var from = visible.length ? visible[cursor] : -1;
  for (var k = 1; k <= N; k++) { var i = (from + k) % N; if (C.mark[i]) { goToStep(i); return; } }
}

// Pointer and wheel on the time axis, the rows' bars and the minimap ---------------------------------
function timeAt(clientX) { return view.from + (clientX - trackBox.left) / trackBox.width * span(); }
function wheelZoom(event, always) {
  var horizontal = Math.abs(event.deltaX) > Math.abs(event.deltaY);
  if (event.ctrlKey || event.metaKey || (always && !horizontal && !event.shiftKey)) {
    var inside = event.clientX >= trackBox.left && event.clientX <= trackBox.left + trackBox.width;
    zoomAround(inside ? timeAt(event.clientX) : view.from + span() / 2, Math.exp(event.deltaY * 0.002));
  } else if (horizontal || event.shiftKey) {
    panBy((event.deltaX || event.deltaY) / trackBox.width * span());
  } else return;
  event.preventDefault();
}
function dragging(target, onStart, onMove, onEnd) {
  target.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || !onStart(event)) return;
    var x0 = event.clientX, moved = false;
    target.setPointerCapture(event.pointerId);
    function move(e) { if (Math.abs(e.clientX - x0) > 3) moved = true; if (moved) onMove(e, e.clientX - x0); }
    function up(e) {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
      target.removeEventListener("pointercancel", up);
      onEnd(e, moved);
    }
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
    target.addEventListener("pointercancel", up);
  });
}
function wirePointer() {
  var start = null, rows = $("rows"), ticks = $("ticks"), canvas = $("minimap"), brush = $("brush");
  rows.addEventListener("click", function (event) {
    if (rows.dataset.dragged === "1") { rows.dataset.dragged = ""; return; }
    var row = event.target.closest(".row");
    if (!row) return;
    var i = parseInt(row.dataset.index, 10);
    if (event.target.closest(".toggle")) toggleFold(i); else goToStep(i);
  });
  dragging(rows, function (e) {
    if (!e.target.closest(".track")) return false;
    start = view.from;
    return true;
  }, function (e, dx) { rows.dataset.dragged = "1"; setView(start - dx / trackBox.width * span(), start - dx / trackBox.width * span() + span()); },
  function () { start = null; });
  dragging(ticks, function (e) { start = e.clientX; return true; }, function (e) {
    var a = Math.min(start, e.clientX) - trackBox.left, b = Math.max(start, e.clientX) - trackBox.left;
    brush.hidden = false;
    brush.style.left = Math.max(0, a) + "px";
    brush.style.width = Math.max(0, Math.min(trackBox.width, b) - Math.max(0, a)) + "px";
  }, function (e, moved) {
    brush.hidden = true;
    if (moved) setView(timeAt(Math.min(start, e.clientX)), timeAt(Math.max(start, e.clientX)));
  });
  var grab = 0;
  function miniTime(e) { var box = canvas.getBoundingClientRect(); return (e.clientX - box.left) / box.width * T_TOTAL; }
  dragging(canvas, function (e) {
    var t = miniTime(e);
    if (t < view.from || t > view.to) panBy(t - (view.from + span() / 2));  // a click centres the view there
    grab = miniTime(e) - view.from;
    return true;
  }, function (e) { var from = miniTime(e) - grab; setView(from, from + span()); }, function () {});
  $("viewport").addEventListener("wheel", function (e) { wheelZoom(e, false); }, { passive: false });
  ticks.addEventListener("wheel", function (e) { wheelZoom(e, true); }, { passive: false });
  canvas.addEventListener("wheel", function (e) { wheelZoom(e, true); }, { passive: false });
}

function wireKeys() {
  document.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (event.target.id === "slider" || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var i = visible[cursor], handled = true, key = event.key;
    if (key === "ArrowRight" && event.shiftKey) panBy(span() / 5);
    else if (key === "ArrowLeft" && event.shiftKey) panBy(-span() / 5);
    else if (key === "ArrowRight" || key === "ArrowDown") moveTo(cursor + 1);
    else if (key === "ArrowLeft" || key === "ArrowUp") moveTo(cursor - 1);
    else if (key === "Home") moveTo(0);
    else if (key === "End") moveTo(visible.length - 1);
    else if (key === "+" || key === "=") zoomAround(i === undefined ? view.from + span() / 2 : C.start[i], 0.5);
    else if (key === "-" || key === "_") zoomAround(i === undefined ? view.from + span() / 2 : C.start[i], 2);
    else if (key === "0") fitAll();
    else if (key === "f" && i !== undefined) fitStep(i);
    else if (key === "c" && i !== undefined) toggleFold(i);
    else if (key === "e") nextError();
    else handled = false;
    if (handled) event.preventDefault();
  });
}
function wireControls() {
  $("slider").addEventListener("input", function () { moveTo(parseInt(this.value, 10)); });
  $("prev").addEventListener("click", function () { moveTo(cursor - 1); });
  $("next").addEventListener("click", function () { moveTo(cursor + 1); });
  $("jump-failure").addEventListener("click", function () { if (S.failing !== null) { goToStep(S.failing); keepInView(S.failing); } });
  $("next-error").addEventListener("click", nextError);
  var typing = null;  // on a long session, filter once the typing pauses
  $("search").addEventListener("input", function () {
    clearTimeout(typing);
    if (N < 2000) recompute(true); else typing = setTimeout(function () { recompute(true); }, 150);
  });
  $("kind-filter").addEventListener("change", function () { recompute(true); });
  $("zoom-in").addEventListener("click", function () { zoomAround(view.from + span() / 2, 0.5); });
  $("zoom-out").addEventListener("click", function () { zoomAround(view.from + span() / 2, 2); });
  $("fit-all").addEventListener("click", fitAll);
  $("fit-step").addEventListener("click", function () { if (visible.length) fitStep(visible[cursor]); });
  $("collapse-all").addEventListener("click", function () { setAllCollapsed(true); recompute(true); });
  $("expand-all").addEventListener("click", function () { setAllCollapsed(false); recompute(true); });
  $("viewport").addEventListener("scroll", function () { viewportBox.top = this.scrollTop; renderRows(); }, { passive: true });
  window.addEventListener("resize", function () { measure(); layout(); onView(); });
  if (window.ResizeObserver) {  // the minimap's width follows the layout, not only the window
    new ResizeObserver(function () { measure(); measureMinimap(); drawMinimap(visible[cursor]); }).observe($("minimap"));
  }
  window.addEventListener("hashchange", function () { goToStep(stepFromHash()); });
}
function stepFromHash() {
  var match = /^#step-(\d+)$/.exec(location.hash);
  return match ? parseInt(match[1], 10) - 1 : -1;
}

// Work in steps of a few tens of milliseconds, each its own task, so the page never stops answering.
function inTurn(steps) {
  if (!steps.length) return;
  setTimeout(function () {
    try { steps[0](); inTurn(steps.slice(1)); } catch (error) { fail(error); }
  }, 0);
}
function start() {
  document.documentElement.classList.add("js");
  loadData(function () {
    inTurn([
      function () { buildTree(); view.to = T_TOTAL; renderHeader(); },
      function () {
        measure();
        measureMinimap();
        onView = function () { renderAxis(trackBox.width); renderRows(); drawMinimap(visible[cursor]); };
        renderAxis(trackBox.width);
        wirePointer();
        wireKeys();
        wireControls();
      },
      function () {
        var fromHash = stepFromHash();
        recompute(false);
        if (fromHash >= 0 && fromHash < N) goToStep(fromHash);
        document.body.dataset.ready = "true";
        if (window.performance && performance.mark) performance.mark("agentops-replay-ready");
        setTimeout(indexWhileIdle, 200);
      }
    ]);
  });
}
