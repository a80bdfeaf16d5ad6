// Shared helpers of the replay page: the data, formats, DOM construction, fixed class names.
// All session content is untrusted: it reaches the page only through textContent, attribute
// setters and element construction, never as markup, and never as a class name or an id.
var DATA = JSON.parse(document.getElementById("session-data").textContent);
var S = DATA.session, V, C, N, T_TOTAL;

// The steps, values and shapes; a big session's come as deflated parts (base64), each inflated a
// slice at a time and read in a task of its own, so that no task runs long.
function loadData(then) {
  function use(body, values) {
    V = values; C = body.steps; DATA.shapes = body.shapes;
    N = C.name.length;
    T_TOTAL = Math.max(1000, S.end_ns ? S.end_ns - S.start_ns : maxEnd());
    then();
  }
  if (!DATA.packed) { use(DATA, DATA.values); return; }
  var body = { steps: {}, shapes: [] }, values = [], parts = DATA.packed.parts;
  function next(k) {
    if (k >= parts.length) { use(body, values); return; }
    inflate(parts[k]).then(function (text) {
      var part = JSON.parse(text);
      if (part.shapes) body.shapes = part.shapes;
      if (part.steps) Object.keys(part.steps).forEach(function (name) { body.steps[name] = part.steps[name]; });
      if (part.values) for (var v = 0; v < part.values.length; v++) values.push(part.values[v]);
      setTimeout(function () { next(k + 1); }, 0);
    }).catch(fail);
  }
  next(0);
}
function inflate(base64) {
  var stream = new DecompressionStream(DATA.packed.encoding), writer = stream.writable.getWriter();
  var text = new Response(stream.readable).text(), SLICE = 65536;
  function write(at) {
    if (at >= base64.length) return writer.close();
    var binary = atob(base64.slice(at, at + SLICE)), bytes = new Uint8Array(binary.length);
    for (var k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    return writer.write(bytes).then(function () { return write(at + SLICE); });
  }
  return Promise.all([write(0), text]).then(function (done) { return done[1]; });
}
function maxEnd() {
  var m = 1;
  for (var i = 0; i < N; i++) m = Math.max(m, C.start[i] + (C.dur[i] || 0));
  return m;
}
function has(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); }
function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function str(i) { var v = V[i]; return v === null || v === undefined ? "" : String(v); }
// A step's input or output: a value, or a chat transcript stored as message references.
function content(ref) {
  if (typeof ref === "number") return V[ref];
  return ref.map(function (i) { return V[i]; });
}

// Recorded words become one of a fixed set of class names, whatever they hold.
var KIND_LABELS = { llm: "LLM", tool: "Tool", action: "Action", agent: "Agent", error: "Error", other: "Other" };
function kindOf(i) { var k = str(C.kind[i]); return has(KIND_LABELS, k) ? k : "other"; }
function kindClass(i) { return "k-" + kindOf(i); }
var STATE_CLASSES = { Success: "st-success", Fail: "st-fail", Indeterminate: "st-indeterminate" };
function stateClass(state) {
  if (state === null || state === undefined) return "st-open";
  return has(STATE_CLASSES, state) ? STATE_CLASSES[state] : "st-other";
}
var ROLE_CLASSES = { user: "r-user", assistant: "r-assistant", system: "r-system", developer: "r-system", tool: "r-tool" };
function roleClass(role) { return has(ROLE_CLASSES, role) ? ROLE_CLASSES[role] : "r-other"; }
var MARK_ERROR = 1, MARK_CAUSE = 2, MARK_HANDLED = 3;
var MARK_CLASSES = ["", " failed", " failed cause", " handled"];

// Formats (the same as replay/_text.py) ------------------------------------------------------------
function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "running";
  if (seconds === 0) return "0 s";
  if (seconds < 0.001) return (seconds * 1e6).toFixed(0) + " \u00b5s";
  if (seconds < 0.01) return (seconds * 1000).toFixed(1) + " ms";
  if (seconds < 1) return (seconds * 1000).toFixed(0) + " ms";
  if (seconds < 120) return seconds.toFixed(2) + " s";
  return Math.floor(seconds / 60) + " min " + Math.round(seconds % 60) + " s";
}
function fmtNs(ns) { return ns === null || ns === undefined ? "running" : fmtDuration(ns / 1e9); }
function fmtOffset(ns) {
  var ms = Math.max(0, ns) / 1e6, m = Math.floor(ms / 60000), s = (ms % 60000) / 1000;
  return String(m).padStart(2, "0") + ":" + s.toFixed(3).padStart(6, "0");
}
function usd(value) {  // as agentops_otel._format.usd
  var text = value.toFixed(8).replace(/0+$/, ""), parts = text.split(".");
  return "$" + parts[0] + "." + (parts[1] || "").padEnd(2, "0");
}
function fmtCost(cost, complete, lower) {
  if (cost !== null && cost !== undefined) return usd(cost);
  if (complete === false) return lower ? "unknown (\u2265 " + usd(lower) + ")" : "unknown";
  return "\u2013";
}
// LLM facts: [model, provider, input tokens, output tokens, cached, reasoning, cost, priced] or 0.
function stepCost(i) {
  var llm = C.llm[i];
  if (!llm) return "";
  if (llm[6] !== null) return usd(llm[6]);
  return llm[7] === false ? "unknown" : "\u2013";
}
function fmtTime(ns) { return new Date(ns / 1e6).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
function tokensOf(i) { var llm = C.llm[i]; return llm ? llm.slice(2, 6) : null; }
function statusOf(i) { return C.error[i] ? "error" : "ok"; }  // OpenTelemetry's UNSET/OK/ERROR, for people
// Attributes: [shape, value, ...] with the keys in DATA.shapes[shape]; 0 for none.
function attributePairs(entry) {
  if (!entry) return [];
  var keys = DATA.shapes[entry[0]], pairs = [];
  for (var k = 0; k < keys.length; k++) pairs.push([str(keys[k]), V[entry[k + 1]]]);
  return pairs;
}

// JSON text inside a string (a tool result inside a transcript) --------------------------------------
function jsonInString(text) {
  if (typeof text !== "string" || text.length < 2 || text.length > 2000000) return undefined;
  var t = text.trim(), a = t.charAt(0), z = t.charAt(t.length - 1);
  if (!((a === "{" && z === "}") || (a === "[" && z === "]"))) return undefined;
  try { var v = JSON.parse(t); return v !== null && typeof v === "object" ? v : undefined; } catch (e) { return undefined; }
}

// One-line previews of input -> output ----------------------------------------------------------
function oneLine(text, limit) {
  text = String(text).replace(/\s+/g, " ").trim();
  return text.length > limit ? text.slice(0, limit - 1) + "\u2026" : text;
}
function brief(value, limit) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return oneLine(value, limit);
  if (Array.isArray(value) && value.length && value.every(function (m) { return m && typeof m === "object" && typeof m.role === "string"; })) {
    return briefMessage(value[value.length - 1], limit);
  }
  if (typeof value === "object" && !Array.isArray(value)) {
    return oneLine(Object.keys(value).map(function (k) { return k + "=" + JSON.stringify(value[k]); }).join(", "), limit);
  }
  return oneLine(JSON.stringify(value), limit);
}
function briefMessage(m, limit) {
  if (typeof m.content === "string") return oneLine(m.content, limit);
  var bits = [];
  (Array.isArray(m.parts) ? m.parts : []).forEach(function (p) {
    if (!p || typeof p !== "object") return;
    if (p.type === "text" && typeof p.content === "string") bits.push(p.content);
    else if (p.type === "tool_call") bits.push(String(p.name) + "(" + brief(p.arguments, 60) + ")");
    else if (p.type === "tool_call_response") bits.push("result " + brief(p.response === undefined ? p.result : p.response, 60));
  });
  return oneLine(bits.join(" ") || JSON.stringify(m), limit);
}
var previews = [];
function previewOf(i) {
  if (previews[i] === undefined) {
    var input = brief(content(C.input[i]), 70), output = brief(content(C.output[i]), 70);
    previews[i] = input && output ? input + " \u2192 " + output : input || (output ? "\u2192 " + output : "");
  }
  return previews[i];
}

// Search text, per stored value once -----------------------------------------------------------------
var valueTexts = [];
function collectText(value, out) {
  if (value === null || value === undefined) return;
  if (typeof value !== "object") { out.push(String(value)); return; }
  if (Array.isArray(value)) { value.forEach(function (v) { collectText(v, out); }); return; }
  Object.keys(value).forEach(function (k) { out.push(k); collectText(value[k], out); });
}
function valueText(i) {
  if (valueTexts[i] === undefined) {
    var out = [];
    collectText(V[i], out);
    valueTexts[i] = out.join("\n").toLowerCase();
  }
  return valueTexts[i];
}
// Index the values in slices of a few milliseconds while the page is idle, so the first search is quick.
var indexed = 0;
function indexWhileIdle() {
  var until = performance.now() + 8;
  while (indexed < V.length && performance.now() < until) valueText(indexed++);
  if (indexed < V.length) setTimeout(indexWhileIdle, 20);
}
function refMatches(ref, needle) {
  if (typeof ref === "number") return ref !== 0 && valueText(ref).indexOf(needle) >= 0;
  for (var k = 0; k < ref.length; k++) if (valueText(ref[k]).indexOf(needle) >= 0) return true;
  return false;
}
function stepMatches(i, needle) {
  return valueText(C.name[i]).indexOf(needle) >= 0 || valueText(C.kind[i]).indexOf(needle) >= 0 ||
    valueText(C.span[i]).indexOf(needle) >= 0 || (C.llm[i] && C.llm[i][0] !== 0 && valueText(C.llm[i][0]).indexOf(needle) >= 0) ||
    (C.error[i] !== 0 && valueText(C.error[i]).indexOf(needle) >= 0) ||
    refMatches(C.input[i], needle) || refMatches(C.output[i], needle);
}

// Copying text (file:// pages are secure contexts in Chromium; elsewhere a hidden textarea) -------------
function copyText(text, button) {
  var done = function () { var old = button.textContent; button.textContent = "Copied"; setTimeout(function () { button.textContent = old; }, 1200); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { legacyCopy(text); done(); });
  } else { legacyCopy(text); done(); }
}
function legacyCopy(text) {
  var area = el("textarea");
  area.value = text;
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); } catch (e) { /* nothing to copy to */ }
  area.remove();
}
function copyButton(label, textOf) {
  var button = el("button", "copy", label);
  button.type = "button";
  button.addEventListener("click", function (event) { event.stopPropagation(); copyText(textOf(), button); });
  return button;
}
