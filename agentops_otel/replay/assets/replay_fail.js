// If the script fails (a browser without DecompressionStream, a bug of ours), the page says why and
// shows the plain list from <noscript> (our own escaped markup) instead of staying blank.
function fail(error) {
  if (!document.getElementById("script-error").hidden) return;
  document.documentElement.classList.remove("js");
  var box = document.getElementById("script-error");
  box.hidden = false;
  box.textContent = "The page\u2019s script failed (" + error + "), so this is the plain list of steps.";
  var markup = Array.prototype.map.call(document.querySelectorAll("noscript"), function (n) { return n.textContent; });
  var plain = new DOMParser().parseFromString(markup.join(""), "text/html").body;
  var at = box;
  Array.prototype.slice.call(plain.children).forEach(function (node) { at.after(document.adoptNode(node)); at = node; });
}
