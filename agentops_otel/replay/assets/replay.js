// Replay page. All session content is untrusted: it only ever reaches the page through
// textContent, attribute setters or element construction, never through innerHTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("session-data").textContent);
  var steps = data.steps;
  var ROW_H = 24, OVERSCAN = 12;
  var t0 = data.start_ns;
  var total = Math.max(1, (data.end_ns || maxEnd()) - t0);
  var visible = steps.map(function (_, i) { return i; });
  var cursor = 0;  // position in `visible`
  var haystack = null;
  var failingIndex = steps.findIndex(function (s) { return s.span_id === data.failing_step; });
  if (failingIndex < 0) failingIndex = steps.findIndex(function (s) { return s.error; });

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function maxEnd() {
    return steps.reduce(function (m, s) { return Math.max(m, s.end_ns || s.start_ns); }, t0 + 1);
  }
  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "running";
    if (seconds === 0) return "0";
    if (seconds < 1) return (seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0) + " ms";
    if (seconds < 120) return seconds.toFixed(2) + " s";
    return Math.floor(seconds / 60) + " min " + Math.round(seconds % 60) + " s";
  }
  function fmtOffset(ns) {
    var ms = Math.max(0, ns) / 1e6, m = Math.floor(ms / 60000), s = (ms % 60000) / 1000;
    return String(m).padStart(2, "0") + ":" + s.toFixed(3).padStart(6, "0");
  }
  function fmtCost(cost, complete, lower) {
    if (cost !== null && cost !== undefined) return "$" + cost.toFixed(cost < 0.01 ? 6 : 4);
    if (complete === false) return lower ? "unknown (\u2265 $" + lower.toFixed(6) + ")" : "unknown";
    return "\u2013";
  }
  function fmtTime(ns) { return new Date(ns / 1e6).toISOString().replace("T", " ").replace("Z", " UTC"); }

  // Header ---------------------------------------------------------------------------------------
  function renderHeader() {
    document.title = "Replay: " + data.name;
    $("session-name").textContent = data.name;
    $("session-id").textContent = data.session_id;
    $("trace-id").textContent = data.trace_id;
    var status = $("status");
    status.textContent = data.end_state || "Open";
    status.classList.add(String(data.end_state || "Open"));
    if (data.end_state_reason) status.title = data.end_state_reason;
    if (data.backend_url && /^https?:\/\//i.test(data.backend_url)) {
      var link = $("backend-link");
      link.href = data.backend_url;
      link.hidden = false;
    }
    var facts = [
      ["Start", fmtTime(data.start_ns)],
      ["Duration", fmtDuration(data.duration)],
      ["Cost", fmtCost(data.cost, data.cost_complete, data.cost_lower_bound)],
      ["Tokens in/out", data.usage.input_tokens + " / " + data.usage.output_tokens],
      ["LLM calls", data.llm_calls],
      ["Steps", steps.length],
      ["Service", data.service || "\u2013"],
    ];
    var dl = $("facts");
    facts.forEach(function (f) {
      var d = el("div");
      d.appendChild(el("dt", null, f[0]));
      d.appendChild(el("dd", null, f[1]));
      dl.appendChild(d);
    });
    if (data.tags.length) {
      var d = el("div"), dd = el("dd");
      d.appendChild(el("dt", null, "Tags"));
      data.tags.forEach(function (t) { dd.appendChild(el("span", "tag", t)); });
      d.appendChild(dd);
      dl.appendChild(d);
    }
    $("copy-id").addEventListener("click", function () {
      var done = function () { $("copy-id").textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(data.session_id).then(done, done);
      } else {
        var area = el("textarea");
        area.value = data.session_id;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); } catch (e) { /* nothing to copy to */ }
        area.remove();
        done();
      }
    });
    var kinds = {};
    steps.forEach(function (s) { kinds[s.kind] = true; });
    Object.keys(kinds).sort().forEach(function (k) { $("kind-filter").appendChild(el("option", null, k)).value = k; });
    $("jump-failure").disabled = failingIndex < 0;
  }

  // Waterfall (virtualised: only the rows in view exist) ------------------------------------------
  function renderAxis() {
    var axis = $("axis");
    for (var i = 0; i <= 4; i++) {
      var tick = el("span", null, fmtDuration(total * i / 4 / 1e9));
      tick.style.left = (i * 25) + "%";
      axis.appendChild(tick);
    }
  }
  function rowFor(index, position) {
    var s = steps[index];
    var row = el("div", "row" + (s.error ? " failed" : "") + (position === cursor ? " current" : ""));
    row.style.top = (position * ROW_H) + "px";
    row.dataset.index = String(index);
    var label = el("div", "label");
    label.style.paddingLeft = (Math.max(0, s.depth - 1) * 14) + "px";
    label.appendChild(el("span", "num", index + 1));
    label.appendChild(el("span", "kind k-" + s.kind, s.kind));
    label.appendChild(document.createTextNode(s.name));
    var track = el("div", "track"), bar = el("div", "bar k-" + s.kind);
    var start = (s.start_ns - t0) / total, end = ((s.end_ns || s.start_ns) - t0) / total;
    bar.style.left = (Math.max(0, Math.min(1, start)) * 100) + "%";
    bar.style.width = (Math.max(0, Math.min(1, end) - Math.max(0, start)) * 100) + "%";
    track.appendChild(bar);
    row.appendChild(label);
    row.appendChild(track);
    var tip = [s.kind + ": " + s.name, "duration " + fmtDuration(s.duration)];
    if (s.kind === "llm") tip.push("tokens " + s.usage.input_tokens + " in / " + s.usage.output_tokens + " out");
    if (s.cost !== null) tip.push("cost " + fmtCost(s.cost));
    if (s.error) tip.push("error " + s.error.type + ": " + s.error.message);
    row.title = tip.join("\n");
    return row;
  }
  // The viewport's scroll offset and height are tracked rather than read after each change: reading
  // them forces a synchronous layout, which made every step of a scrub cost a full reflow.
  var view = { top: 0, height: 0 };
  function measure() {
    var viewport = $("viewport");
    view.top = viewport.scrollTop;
    view.height = viewport.clientHeight;
  }
  function renderRows() {
    var first = Math.max(0, Math.floor(view.top / ROW_H) - OVERSCAN);
    var last = Math.min(visible.length, first + Math.ceil(view.height / ROW_H) + 2 * OVERSCAN);
    var fragment = document.createDocumentFragment();
    for (var p = first; p < last; p++) fragment.appendChild(rowFor(visible[p], p));
    $("rows").replaceChildren(fragment);
  }
  function layout() {
    $("spacer").style.height = (visible.length * ROW_H) + "px";
    var slider = $("slider");
    slider.max = String(Math.max(0, visible.length - 1));
    slider.disabled = visible.length === 0;
    $("match-count").textContent = visible.length === steps.length ? "" : visible.length + " of " + steps.length + " steps";
    renderRows();
  }
  function scrollToCursor() {
    var top = cursor * ROW_H;
    if (top < view.top || top + ROW_H > view.top + view.height) {
      var max = Math.max(0, visible.length * ROW_H - view.height);
      view.top = Math.min(max, Math.max(0, Math.round(top - view.height / 2)));
      $("viewport").scrollTop = view.top;
    }
  }

  // Detail panel ---------------------------------------------------------------------------------
  function tree(value, key, depth) {
    var keyNode = key === null ? null : el("span", "key", key + ": ");
    if (value === null || typeof value !== "object") {
      var leaf = el("div", "tree");
      if (keyNode) leaf.appendChild(keyNode);
      var type = value === null ? "null" : typeof value;
      leaf.appendChild(el("span", "v-" + type, type === "string" ? JSON.stringify(value) : String(value)));
      return leaf;
    }
    var entries = Array.isArray(value) ? value.map(function (v, i) { return [String(i), v]; }) : Object.entries(value);
    var box = el("details", "tree");
    box.open = depth < 2;
    var summary = el("summary");
    if (keyNode) summary.appendChild(keyNode);
    summary.appendChild(el("span", "muted", Array.isArray(value) ? "[" + entries.length + "]" : "{" + entries.length + "}"));
    box.appendChild(summary);
    entries.slice(0, 500).forEach(function (e) { box.appendChild(tree(e[1], e[0], depth + 1)); });
    if (entries.length > 500) box.appendChild(el("div", "muted", "\u2026 " + (entries.length - 500) + " more"));
    return box;
  }
  function isChat(value) {
    return Array.isArray(value) && value.length > 0 && value.every(function (m) {
      return m && typeof m === "object" && typeof m.role === "string";
    });
  }
  function partNode(part) {
    if (part && part.type === "text" && typeof part.content === "string") return el("div", "text", part.content);
    if (part && part.type === "tool_call") {
      var box = el("div");
      box.appendChild(el("div", "muted", "tool call " + (part.name || "") + (part.id ? " (" + part.id + ")" : "")));
      box.appendChild(tree(part.arguments === undefined ? null : part.arguments, null, 1));
      return box;
    }
    if (part && part.type === "tool_call_response") {
      var res = el("div");
      res.appendChild(el("div", "muted", "tool result" + (part.id ? " (" + part.id + ")" : "")));
      res.appendChild(tree(part.response === undefined ? part.result : part.response, null, 1));
      return res;
    }
    return tree(part, null, 1);
  }
  function transcript(messages) {
    var box = el("div");
    messages.forEach(function (m) {
      var msg = el("div", "msg " + String(m.role).replace(/[^a-z_-]/gi, ""));
      msg.appendChild(el("div", "role", m.role + (m.name ? " (" + m.name + ")" : "")));
      if (typeof m.content === "string") msg.appendChild(el("div", "text", m.content));
      else if (Array.isArray(m.parts)) m.parts.forEach(function (p) { msg.appendChild(partNode(p)); });
      else if (m.content !== undefined) msg.appendChild(tree(m.content, null, 1));
      if (m.finish_reason) msg.appendChild(el("div", "muted", "finish: " + m.finish_reason));
      box.appendChild(msg);
    });
    return box;
  }
  function contentNode(value) {
    if (value === null || value === undefined) return el("div", "muted", "none recorded");
    if (typeof value === "string") return el("div", "text", value);
    return isChat(value) ? transcript(value) : tree(value, null, 0);
  }
  function table(obj) {
    var t = el("table", "attrs");
    Object.keys(obj).sort().forEach(function (k) {
      var tr = el("tr"), v = obj[k];
      tr.appendChild(el("td", null, k));
      tr.appendChild(el("td", "mono", typeof v === "string" ? v : JSON.stringify(v)));
      t.appendChild(tr);
    });
    return t;
  }
  function renderDetail() {
    var panel = $("detail");
    panel.replaceChildren();
    if (!visible.length) {
      panel.appendChild(el("p", "muted", steps.length ? "No step matches the filter." : "No steps recorded."));
      return;
    }
    var index = visible[cursor], s = steps[index];
    panel.dataset.index = String(index);
    panel.appendChild(el("h2", null, "Step " + (index + 1) + " \u00b7 " + s.kind + " \u00b7 " + s.name));
    if (index === failingIndex) panel.appendChild(el("div", "cause", "\u2190 this step caused the failure"));
    var meta = el("dl", "meta");
    [["Span", s.span_name], ["Started", "+" + fmtOffset(s.offset_ns)], ["Duration", fmtDuration(s.duration)],
     ["Status", s.status], ["Model", s.model], ["Provider", s.provider],
     ["Tokens", s.kind === "llm" ? s.usage.input_tokens + " in / " + s.usage.output_tokens + " out" : null],
     ["Cost", s.kind !== "llm" ? null : s.cost !== null ? fmtCost(s.cost) : s.priced === false ? "unknown" : "\u2013"]
    ].forEach(function (row) {
      if (row[1] === null || row[1] === undefined) return;
      meta.appendChild(el("dt", null, row[0]));
      meta.appendChild(el("dd", null, row[1]));
    });
    panel.appendChild(meta);
    if (s.error) {
      var box = el("div", "error-box");
      box.appendChild(el("strong", null, s.error.type));
      box.appendChild(document.createTextNode(s.error.message ? ": " + s.error.message : ""));
      if (s.error.stacktrace) box.appendChild(el("pre", null, s.error.stacktrace));
      panel.appendChild(box);
    }
    panel.appendChild(el("h3", null, "Input"));
    panel.appendChild(contentNode(s.params));
    panel.appendChild(el("h3", null, "Output"));
    panel.appendChild(contentNode(s.returns));
    panel.appendChild(el("h3", null, "Attributes"));
    panel.appendChild(table(s.attributes));
    if (s.events.length) {
      panel.appendChild(el("h3", null, "Events"));
      s.events.forEach(function (e) {
        panel.appendChild(el("div", null, "+" + fmtOffset(e.time_ns - t0) + "  " + e.name));
        panel.appendChild(table(e.attributes));
      });
    }
  }
  // Browsers throttle history updates (a fast scrub would hit the limit), so the address follows
  // the cursor once it rests.
  var hashTimer = null;
  function updateHash(hash) {
    clearTimeout(hashTimer);
    hashTimer = setTimeout(function () {
      if (location.hash !== hash) history.replaceState(null, "", hash);
    }, 120);
  }
  function setPosition() {
    var index = visible[cursor];
    $("slider").value = String(cursor);
    $("position").textContent = visible.length ? "Step " + (index + 1) + " of " + steps.length : "";
    if (visible.length) updateHash("#step-" + (index + 1));
    scrollToCursor();
    renderRows();
    renderDetail();
  }
  function moveTo(position) {
    if (!visible.length) return;
    cursor = Math.max(0, Math.min(visible.length - 1, position));
    setPosition();
  }
  function goToStep(index) {  // index into steps, clearing a filter that hides it
    if (index < 0 || index >= steps.length) return;
    var at = visible.indexOf(index);
    if (at < 0) {
      $("search").value = "";
      $("kind-filter").value = "";
      applyFilter(false);
      at = index;
    }
    moveTo(at);
  }

  // Filter ---------------------------------------------------------------------------------------
  function textOf(s) {
    return [s.name, s.kind, s.span_name, s.model || "", JSON.stringify(s.params), JSON.stringify(s.returns),
      s.error ? s.error.type + " " + s.error.message : ""].join("\n").toLowerCase();
  }
  function applyFilter(keepCurrent) {
    var current = visible[cursor];
    var needle = $("search").value.trim().toLowerCase(), kind = $("kind-filter").value;
    if (needle && !haystack) haystack = steps.map(textOf);
    visible = [];
    for (var i = 0; i < steps.length; i++) {
      if (kind && steps[i].kind !== kind) continue;
      if (needle && haystack[i].indexOf(needle) < 0) continue;
      visible.push(i);
    }
    var at = keepCurrent === false ? -1 : visible.indexOf(current);
    cursor = at >= 0 ? at : 0;
    layout();
    if (keepCurrent !== false) setPosition();
  }

  function stepFromHash() {
    var match = /^#step-(\d+)$/.exec(location.hash);
    return match ? parseInt(match[1], 10) - 1 : -1;
  }

  function start() {
    document.documentElement.classList.add("js");
    renderHeader();
    renderAxis();
    measure();
    layout();
    $("viewport").addEventListener("scroll", function () { measure(); renderRows(); }, { passive: true });
    window.addEventListener("resize", function () { measure(); renderRows(); });
    $("rows").addEventListener("click", function (event) {
      var row = event.target.closest(".row");
      if (row) goToStep(parseInt(row.dataset.index, 10));
    });
    $("slider").addEventListener("input", function () { moveTo(parseInt(this.value, 10)); });
    $("prev").addEventListener("click", function () { moveTo(cursor - 1); });
    $("next").addEventListener("click", function () { moveTo(cursor + 1); });
    $("jump-failure").addEventListener("click", function () { goToStep(failingIndex); });
    $("search").addEventListener("input", function () { applyFilter(true); });
    $("kind-filter").addEventListener("change", function () { applyFilter(true); });
    document.addEventListener("keydown", function (event) {
      var tag = event.target.tagName;
      if (event.target.id === "slider" || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      if (event.key === "ArrowRight") { moveTo(cursor + 1); event.preventDefault(); }
      else if (event.key === "ArrowLeft") { moveTo(cursor - 1); event.preventDefault(); }
      else if (event.key === "Home") { moveTo(0); event.preventDefault(); }
      else if (event.key === "End") { moveTo(visible.length - 1); event.preventDefault(); }
    });
    window.addEventListener("hashchange", function () { goToStep(stepFromHash()); });
    var fromHash = stepFromHash();
    if (fromHash >= 0 && fromHash < steps.length) goToStep(fromHash); else if (steps.length) moveTo(0); else renderDetail();
    document.body.dataset.ready = "true";
  }
  start();
})();
