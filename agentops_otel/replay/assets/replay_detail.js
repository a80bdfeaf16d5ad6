// The detail panel: one step's facts, error with a folded traceback, input and output as
// transcripts and collapsible JSON trees (JSON inside strings too), attributes and events.
var TREE_LIMIT = 500;

function leaf(value) {
  var type = value === null ? "null" : typeof value;
  var cls = type === "string" ? "v-string" : type === "number" ? "v-number" : type === "boolean" ? "v-boolean" : "v-null";
  return el("span", cls, type === "string" ? JSON.stringify(value) : String(value));
}
// A collapsible tree; children of a closed node are built when it opens (big payloads stay cheap).
// A string holding JSON text is shown as the tree it holds, marked "JSON text".
function tree(value, key, depth, note) {
  if (typeof value === "string") {
    var inner = jsonInString(value);
    if (inner !== undefined) return tree(inner, key, depth, "JSON text");
  }
  var head = el("span");
  if (key !== null) head.appendChild(el("span", "key", key + ": "));
  if (value === null || typeof value !== "object") {
    var row = el("div", "tree");
    row.appendChild(head);
    row.appendChild(leaf(value));
    return row;
  }
  var entries = Array.isArray(value) ? value.map(function (v, i) { return [String(i), v]; }) : Object.keys(value).map(function (k) { return [k, value[k]]; });
  var box = el("details", "tree"), summary = el("summary"), built = false;
  head.appendChild(el("span", "muted", Array.isArray(value) ? "[" + entries.length + "]" : "{" + entries.length + "}"));
  if (note) head.appendChild(el("span", "note", note));
  summary.appendChild(head);
  box.appendChild(summary);
  function build() {
    if (built) return;
    built = true;
    entries.slice(0, TREE_LIMIT).forEach(function (e) { box.appendChild(tree(e[1], e[0], depth + 1)); });
    if (entries.length > TREE_LIMIT) box.appendChild(el("div", "muted", "\u2026 " + (entries.length - TREE_LIMIT) + " more"));
  }
  box.addEventListener("toggle", function () { if (box.open) build(); });
  if (depth < 2) { build(); box.open = true; }
  return box;
}

function partNode(part) {
  if (part && part.type === "text" && typeof part.content === "string") return textBlock(part.content);
  var box = el("div", "part");
  if (part && part.type === "tool_call") {
    box.appendChild(el("div", "muted", "tool call " + String(part.name || "") + (part.id ? " (" + part.id + ")" : "")));
    box.appendChild(tree(part.arguments === undefined ? null : part.arguments, null, 1));
  } else if (part && part.type === "tool_call_response") {
    box.appendChild(el("div", "muted", "tool result" + (part.id ? " (" + part.id + ")" : "")));
    box.appendChild(valueNode(part.response === undefined ? part.result : part.response));
  } else {
    box.appendChild(tree(part, null, 1));
  }
  return box;
}
function textBlock(text) {
  return jsonInString(text) !== undefined ? tree(text, null, 0) : el("div", "text", text);
}
function valueNode(value) {
  if (value === null || value === undefined) return el("div", "muted", "none recorded");
  if (typeof value === "string") return textBlock(value);
  return tree(value, null, 0);
}
function messageNode(m) {
  var box = el("div", "msg " + roleClass(m.role));
  box.appendChild(el("div", "role", String(m.role) + (m.name ? " (" + m.name + ")" : "")));
  if (typeof m.content === "string") box.appendChild(textBlock(m.content));
  else if (Array.isArray(m.parts)) m.parts.forEach(function (p) { box.appendChild(partNode(p)); });
  else if (m.content !== undefined) box.appendChild(valueNode(m.content));
  if (m.finish_reason) box.appendChild(el("div", "muted", "finish: " + m.finish_reason));
  return box;
}
// The messages an LLM call's input repeats from the previous call's (its history) fold behind one line.
function repeatedPrefix(i) {
  var refs = C.input[i];
  if (typeof refs === "number") return null;
  for (var j = i - 1; j >= 0; j--) {
    var prev = C.input[j];
    if (kindOf(j) !== "llm" || typeof prev === "number") continue;
    var seen = {}, same = 0;
    prev.forEach(function (r) { seen[r] = true; });
    while (same < refs.length && seen[refs[same]]) same++;
    return same > 1 ? { step: j, count: same } : null;
  }
  return null;
}
function contentNode(i, ref) {
  if (typeof ref === "number") return valueNode(V[ref]);
  var box = el("div", "transcript"), start = 0;
  var prefix = ref === C.input[i] ? repeatedPrefix(i) : null;
  if (prefix) {
    var fold = el("details", "repeated"), summary = el("summary");
    summary.appendChild(document.createTextNode(prefix.count + " earlier messages, sent in "));
    var link = el("a", null, "step " + (prefix.step + 1));
    link.href = "#step-" + (prefix.step + 1);
    summary.appendChild(link);
    summary.appendChild(document.createTextNode(" too"));
    fold.appendChild(summary);
    fold.addEventListener("toggle", function () {
      if (fold.open && fold.childNodes.length === 1) ref.slice(0, prefix.count).forEach(function (r) { fold.appendChild(messageNode(V[r])); });
    });
    box.appendChild(fold);
    start = prefix.count;
  }
  ref.slice(start).forEach(function (r) { box.appendChild(messageNode(V[r])); });
  return box;
}
function copyTextOf(ref) {
  var value = content(ref);
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function tracebackNode(pieces) {
  var box = el("div", "traceback");
  pieces.forEach(function (piece) {
    if (!piece[1]) { box.appendChild(el("pre", null, piece[0])); return; }
    var frames = (String(piece[0]).match(/File "/g) || []).length;
    var fold = el("details", "ours");
    fold.appendChild(el("summary", null, frames + " frame" + (frames === 1 ? "" : "s") + " inside agentops-otel\u2019s wrappers"));
    fold.appendChild(el("pre", null, piece[0]));
    box.appendChild(fold);
  });
  return box;
}
function errorNode(i) {
  var error = V[C.error[i]], box = el("div", "error-box");
  if (C.mark[i] === MARK_CAUSE) box.appendChild(el("div", "cause", "\u2190 this step caused the failure"));
  else if (C.mark[i] === MARK_HANDLED) box.appendChild(el("div", "handled-note", "Handled: the agent dealt with this error; it did not cause a failure"));
  else if (S.failing !== null) {
    var other = el("div", "muted", "This step raised an error; the failure was caused by ");
    var link = el("a", null, "step " + (S.failing + 1));
    link.href = "#step-" + (S.failing + 1);
    other.appendChild(link);
    box.appendChild(other);
  }
  box.appendChild(el("strong", null, error.type));
  box.appendChild(document.createTextNode(error.message ? ": " + error.message : ""));
  if (error.stack) box.appendChild(tracebackNode(error.stack));
  return box;
}
function attributesNode(entry) {
  var t = el("table", "attrs"), rows = attributePairs(entry);
  rows.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
  rows.forEach(function (r) {
    var tr = el("tr"), cell = el("td", "mono");
    tr.appendChild(el("td", null, r[0]));
    var v = r[1];
    if (typeof v === "string" && jsonInString(v) !== undefined) cell.appendChild(tree(v, null, 1));
    else cell.textContent = typeof v === "string" ? v : JSON.stringify(v);
    tr.appendChild(cell);
    t.appendChild(tr);
  });
  return t;
}
function section(panel, title, ref, index) {
  var head = el("h3", null, title);
  if (ref !== 0) head.appendChild(copyButton("Copy", function () { return copyTextOf(ref); }));
  panel.appendChild(head);
  panel.appendChild(contentNode(index, ref));
}
function renderDetail(panel, i) {
  panel.replaceChildren();
  panel.dataset.index = String(i);
  panel.appendChild(el("h2", null, "Step " + (i + 1) + " \u00b7 " + kindOf(i) + " \u00b7 " + str(C.name[i])));
  var tokens = tokensOf(i), meta = el("dl", "meta");
  var parent = C.parent[i];
  [["Span", str(C.span[i])], ["Started", "+" + fmtOffset(C.start[i])], ["Duration", fmtNs(C.dur[i])],
   ["Status", statusOf(i)], ["Model", C.llm[i] && C.llm[i][0] ? str(C.llm[i][0]) : null],
   ["Provider", C.llm[i] && C.llm[i][1] ? str(C.llm[i][1]) : null],
   ["Tokens", tokens ? tokens[0] + " in / " + tokens[1] + " out" + (tokens[2] ? " (" + tokens[2] + " cached)" : "") + (tokens[3] ? " (" + tokens[3] + " reasoning)" : "") : null],
   ["Cost", kindOf(i) === "llm" ? stepCost(i) : null],
   ["Inside", parent >= 0 ? "step " + (parent + 1) + " \u00b7 " + str(C.name[parent]) : null]
  ].forEach(function (row) {
    if (row[1] === null || row[1] === undefined) return;
    meta.appendChild(el("dt", null, row[0]));
    var dd = el("dd", null, row[1]);
    if (row[0] === "Status") dd.className = row[1] === "error" ? "status-error" : "status-ok";
    meta.appendChild(dd);
  });
  panel.appendChild(meta);
  if (C.error[i]) panel.appendChild(errorNode(i));
  section(panel, "Input", C.input[i], i);
  section(panel, "Output", C.output[i], i);
  if (C.attrs[i]) {
    panel.appendChild(el("h3", null, "Attributes"));
    panel.appendChild(attributesNode(C.attrs[i]));
  }
  var events = C.events[i];
  if (events) {
    panel.appendChild(el("h3", null, "Events"));
    events.forEach(function (e) {
      panel.appendChild(el("div", null, "+" + fmtOffset(e[1]) + "  " + str(e[0])));
      if (e[2]) panel.appendChild(attributesNode(e[2]));
    });
  }
}
