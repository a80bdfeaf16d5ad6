// The waterfall: the step tree (folds, guides), the time view (zoom, pan, fit), the axis, the
// minimap, and the rows, of which only those in view exist.
var MAX_GUIDES = 14, OVERSCAN = 6, MIN_SPAN = 1000;  // ns: zoomed in to a microsecond at most

// The tree, depth first, parents before children ------------------------------------------------
var kids, roots, order, level, lastChild, subtreeSize, subtreeEnd, collapsed, folded;
function buildTree() {
  kids = new Array(N); roots = []; order = []; level = new Int32Array(N); lastChild = new Uint8Array(N);
  subtreeSize = new Int32Array(N); subtreeEnd = new Float64Array(N); collapsed = new Uint8Array(N); folded = new Uint8Array(N);
  for (var i = 0; i < N; i++) {
    var p = C.parent[i];
    if (p >= 0 && p < N && p !== i) (kids[p] || (kids[p] = [])).push(i); else roots.push(i);
  }
  var seen = new Uint8Array(N), stack = roots.slice().reverse();
  function walk() {
    while (stack.length) {
      var j = stack.pop();
      if (seen[j]) continue;
      seen[j] = 1;
      order.push(j);
      var k = kids[j];
      if (k) for (var m = k.length - 1; m >= 0; m--) { level[k[m]] = level[j] + 1; stack.push(k[m]); }
    }
  }
  walk();
  for (var c = 0; c < N; c++) if (!seen[c]) { level[c] = 0; stack.push(c); walk(); }  // parent cycles
  if (roots.length) lastChild[roots[roots.length - 1]] = 1;
  for (var q = 0; q < N; q++) if (kids[q]) lastChild[kids[q][kids[q].length - 1]] = 1;
  for (var r = order.length - 1; r >= 0; r--) {
    var s = order[r], end = C.dur[s] === null ? T_TOTAL : C.start[s] + C.dur[s], size = 1, ks = kids[s];
    if (ks) for (var t = 0; t < ks.length; t++) { size += subtreeSize[ks[t]]; end = Math.max(end, subtreeEnd[ks[t]]); }
    subtreeSize[s] = size;
    subtreeEnd[s] = end;
  }
}

function computeFolds() {
  for (var k = 0; k < order.length; k++) {
    var i = order[k], p = C.parent[i];
    folded[i] = p >= 0 && p < N && p !== i && (collapsed[p] || folded[p]) ? 1 : 0;
  }
}
function setCollapsed(i, value) { if (kids[i]) collapsed[i] = value ? 1 : 0; }
function setAllCollapsed(value) { for (var i = 0; i < N; i++) setCollapsed(i, value); }
function unfoldAncestors(i) {
  for (var p = C.parent[i], guard = 0; p >= 0 && p < N && guard < N; p = C.parent[p], guard++) collapsed[p] = 0;
}

// The time view ----------------------------------------------------------------------------------
var view = { from: 0, to: 1 }, onView = function () {};
function setView(from, to) {
  var span = Math.min(T_TOTAL, Math.max(MIN_SPAN, to - from));
  from = Math.min(Math.max(0, from), T_TOTAL - span);
  view.from = from;
  view.to = from + span;
  onView();
}
function span() { return view.to - view.from; }
function zoomAround(t, factor) {
  var frac = (t - view.from) / span(), next = span() * factor;
  setView(t - frac * next, t - frac * next + next);
}
function panBy(dt) { setView(view.from + dt, view.to + dt); }
function fitAll() { setView(0, T_TOTAL); }
function fitStep(i) {
  var a = C.start[i], b = Math.max(a, subtreeEnd[i]), pad = Math.max((b - a) * 0.05, MIN_SPAN / 2);
  setView(a - pad, b + pad);
}
function keepInView(i) {  // pan, keeping the zoom, so that the step's start is in view
  var t = C.start[i];
  if (t < view.from || t > view.to) panBy(t - (view.from + span() / 2));
}

// Axis ------------------------------------------------------------------------------------------
var NICE = [1, 2, 5];
function tickStep(range, count) {
  var raw = range / Math.max(1, count), power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (var k = 0; k < NICE.length; k++) if (NICE[k] * power >= raw) return NICE[k] * power;
  return 10 * power;
}
function fmtTick(t, step) {
  var unit = step >= 1e9 ? [1e9, " s"] : step >= 1e6 ? [1e6, " ms"] : step >= 1e3 ? [1e3, " \u00b5s"] : [1, " ns"];
  var digits = Math.max(0, -Math.floor(Math.log10(step / unit[0]) + 1e-9));
  return (t / unit[0]).toFixed(digits) + unit[1];
}
function renderAxis(width) {
  var ticks = $("tick-labels"), nodes = [], step = tickStep(span(), Math.max(3, Math.floor(width / 70)));
  for (var t = Math.ceil(view.from / step) * step; t <= view.to; t += step) {
    var x = (t - view.from) / span(), tick = el("span", x > 0.94 ? "end" : x < 0.06 ? "start" : null, fmtTick(t, step));
    tick.style.left = (x * 100) + "%";
    nodes.push(tick);
  }
  ticks.replaceChildren.apply(ticks, nodes);
  var all = view.from <= 0 && view.to >= T_TOTAL;
  $("range").textContent = all ? "all of " + fmtNs(T_TOTAL) : fmtNs(view.from) + " \u2013 " + fmtNs(view.to) + " of " + fmtNs(T_TOTAL);
  var waterfall = $("waterfall");
  waterfall.dataset.viewFrom = String(Math.round(view.from));
  waterfall.dataset.viewTo = String(Math.round(view.to));
}

// Minimap: where steps are, errors and the failure, and the part in view -------------------------------
var mini = { width: 0, counts: null, max: 1 };
function measureMinimap() {
  var canvas = $("minimap"), width = canvas.clientWidth, height = canvas.clientHeight, ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  mini.width = width;
  mini.height = height;
  mini.ratio = ratio;
  mini.counts = new Float64Array(Math.max(1, width));
  mini.errors = [];
  for (var i = 0; i < N; i++) {
    var col = Math.min(width - 1, Math.floor(C.start[i] / T_TOTAL * width));
    mini.counts[col] += 1;
    if (C.mark[i]) mini.errors.push(C.start[i] / T_TOTAL * width);
  }
  mini.max = 1;
  for (var c = 0; c < mini.counts.length; c++) mini.max = Math.max(mini.max, mini.counts[c]);
}
function drawMinimap(current) {
  var canvas = $("minimap"), g = canvas.getContext("2d");
  if (!g || !mini.counts) return;
  var w = mini.width, h = mini.height, scale = Math.log(1 + mini.max);
  g.setTransform(mini.ratio, 0, 0, mini.ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  g.fillStyle = "#94a3b8";
  for (var c = 0; c < mini.counts.length; c++) {
    if (!mini.counts[c]) continue;
    var bar = Math.max(2, (h - 6) * Math.log(1 + mini.counts[c]) / scale);
    g.fillRect(c, h - bar, 1, bar);
  }
  g.fillStyle = "#f87171";
  mini.errors.forEach(function (x) { g.fillRect(Math.floor(x), 0, 1, h); });
  if (S.failing !== null) {
    var fx = C.start[S.failing] / T_TOTAL * w;
    g.fillStyle = "#b91c1c";
    g.fillRect(fx - 1, 0, 3, h);
    g.beginPath(); g.moveTo(fx - 5, 0); g.lineTo(fx + 5, 0); g.lineTo(fx, 6); g.fill();
  }
  if (current !== undefined && current !== null) {
    g.fillStyle = "#1d2330";
    g.fillRect(Math.floor(C.start[current] / T_TOTAL * w), 0, 1, h);
  }
  var a = view.from / T_TOTAL * w, b = Math.max(a + 3, view.to / T_TOTAL * w);
  g.fillStyle = "rgba(59,130,246,0.15)";
  g.fillRect(a, 0, b - a, h);
  g.strokeStyle = "#2563eb";
  g.lineWidth = 1;
  g.strokeRect(a + 0.5, 0.5, b - a - 1, h - 1);
}

// Rows -----------------------------------------------------------------------------------------
var ICONS = {  // 16x16 path data per kind; the kind only ever selects one of these
  llm: "M8 1.5l1.6 3.9 3.9 1.6-3.9 1.6L8 12.5 6.4 8.6 2.5 7l3.9-1.6z",
  tool: "M10.5 2a3.5 3.5 0 00-3.3 4.6L2.5 11.3l2.2 2.2 4.7-4.7A3.5 3.5 0 1010.5 2z",
  action: "M4 2.5l9 5.5-9 5.5z",
  agent: "M8 2a3 3 0 110 6 3 3 0 010-6zm-5 12c0-2.8 2.2-5 5-5s5 2.2 5 5z",
  error: "M8 1.5l7 12.5H1zM7.2 6v4h1.6V6zm0 5v1.6h1.6V11z",
  other: "M8 4a4 4 0 110 8 4 4 0 010-8z"
};
var SVG_NS = "http://www.w3.org/2000/svg";
function icon(kind) {
  var svg = document.createElementNS(SVG_NS, "svg"), path = document.createElementNS(SVG_NS, "path");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "icon k-" + kind);
  svg.setAttribute("aria-hidden", "true");
  path.setAttribute("d", ICONS[kind]);
  svg.appendChild(path);
  return svg;
}
function guidesFor(i) {  // tree lines: a column per ancestor level, the nearest ones when deep
  var box = el("span", "guides"), lv = level[i], shown = Math.min(lv, MAX_GUIDES), cols = [];
  var node = i;
  for (var k = 0; k < shown; k++) {
    var cls = k === 0 ? (lastChild[node] ? "g g-end" : "g g-tee") : (lastChild[node] ? "g" : "g g-line");
    cols.push(el("span", cls));
    node = C.parent[node];
  }
  if (lv > MAX_GUIDES) cols.push(el("span", "g-deep", "+" + (lv - MAX_GUIDES)));
  for (var c = cols.length - 1; c >= 0; c--) box.appendChild(cols[c]);
  return box;
}
function rowFor(i, position, current, rowHeight, filtering) {
  var kind = kindOf(i);
  var row = el("div", "row k-" + kind + MARK_CLASSES[C.mark[i]] + (current ? " current" : ""));
  row.style.top = (position * rowHeight) + "px";
  row.dataset.index = String(i);
  var label = el("div", "label");
  label.appendChild(el("span", "num", i + 1));
  label.appendChild(guidesFor(i));
  if (kids[i] && !filtering) {
    var toggle = el("button", "toggle", collapsed[i] ? "\u25b8" : "\u25be");
    toggle.type = "button";
    toggle.title = (collapsed[i] ? "Expand" : "Collapse") + " (" + (subtreeSize[i] - 1) + " steps inside)";
    toggle.setAttribute("aria-expanded", collapsed[i] ? "false" : "true");
    label.appendChild(toggle);
  } else {
    label.appendChild(el("span", "toggle-space"));
  }
  label.appendChild(icon(kind));
  label.appendChild(el("span", "name", str(C.name[i])));
  if (C.mark[i] === MARK_CAUSE) label.appendChild(el("span", "cause-badge", "cause"));
  else if (C.mark[i] === MARK_HANDLED) label.appendChild(el("span", "handled-badge", "handled"));
  if (collapsed[i] && !filtering) label.appendChild(el("span", "folded", "+" + (subtreeSize[i] - 1)));
  label.appendChild(el("span", "preview", previewOf(i)));
  row.appendChild(label);
  var tokens = tokensOf(i);
  row.appendChild(el("span", "c-dur", fmtNs(C.dur[i])));
  row.appendChild(el("span", "c-tok", tokens ? tokens[0] + "/" + tokens[1] : ""));
  row.appendChild(el("span", "c-cost", stepCost(i)));
  var track = el("div", "track"), bar = el("div", "bar");
  var start = (C.start[i] - view.from) / span();
  var end = ((C.dur[i] === null ? T_TOTAL : C.start[i] + C.dur[i]) - view.from) / span();
  if (end < 0 || start > 1) bar.className = "bar off";
  bar.style.left = (Math.max(0, Math.min(1, start)) * 100) + "%";
  bar.style.width = (Math.max(0, Math.min(1, end) - Math.max(0, start)) * 100) + "%";
  track.appendChild(bar);
  row.appendChild(track);
  var tip = [kind + ": " + str(C.name[i]), "duration " + fmtNs(C.dur[i])];
  if (tokens) tip.push("tokens " + tokens[0] + " in / " + tokens[1] + " out");
  if (kind === "llm") tip.push("cost " + stepCost(i));
  if (C.error[i]) tip.push("error " + V[C.error[i]].type + ": " + V[C.error[i]].message);
  row.title = tip.join("\n");
  return row;
}
