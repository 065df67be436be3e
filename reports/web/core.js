// The page's core: the report's data, small helpers to build the page (every string of the run
// goes into the DOM as text, with textContent or createTextNode, never as markup), the cursor
// that every view shares, and the registry of views. Each view is a file of its own that calls
// Report.view(...); main.js draws them.
const Report = (function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const views = [];

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  const SVG = "http://www.w3.org/2000/svg";  // a namespace name, never fetched
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  const field = name => document.querySelector('[data-field="' + name + '"]');

  // Nanoseconds as a reader wants them: "2.5s", "120ms", "1m 5s".
  function time(ns) {
    if (ns === 0) return "0";
    const ms = ns / 1e6;
    if (ms < 1) return (ns / 1e3).toFixed(0) + "µs";
    if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + "ms";
    const s = ms / 1000;
    if (s < 60) return (Math.round(s * 1000) / 1000) + "s";
    return Math.floor(s / 60) + "m " + (Math.round((s % 60) * 10) / 10) + "s";
  }

  // The Markdown of a description: paragraphs, "- " or "* " lists, `code`, **bold**, built as
  // elements.
  function inline(parent, text) {
    const re = /(`[^`]+`|\*\*[^*]+\*\*)/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const tok = m[0];
      parent.appendChild(tok[0] === "`" ? el("code", {}, tok.slice(1, -1)) : el("strong", {}, tok.slice(2, -2)));
      last = m.index + tok.length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function markdown(parent, text) {
    for (const block of text.split(/\n\s*\n/)) {
      const lines = block.split("\n").map(l => l.trim()).filter(l => l.length > 0);
      if (lines.length === 0) continue;
      if (lines.every(l => /^[-*] /.test(l))) {
        const ul = el("ul");
        for (const l of lines) { const li = el("li"); inline(li, l.slice(2)); ul.appendChild(li); }
        parent.appendChild(ul);
      } else {
        const p = el("p"); inline(p, lines.join(" ")); parent.appendChild(p);
      }
    }
  }

  // The cursor: the one moment of the run the views show (the replica logs' state, the messages
  // around it), set by the time axis, a view's step keys, or a link from an anomaly.
  // Two runs compared share one axis: the longer one's.
  const end = Math.max(data.timeline.end_ns, data.compare ? data.compare.timeline.end_ns : 0, 1);
  let cursor = 0;
  const cursorListeners = [];
  function setCursor(ns) {
    cursor = Math.min(Math.max(Math.round(ns), 0), end);
    for (const fn of cursorListeners) fn(cursor);
  }
  const onCursor = fn => cursorListeners.push(fn);

  // A view: { name, key (the number key that opens it), title, render(section) }. Its data is
  // the model's views[name] (undefined when the run has none for it).
  function view(spec) { views.push(spec); }
  // Opens a view (and, with a time, moves the cursor there first).
  function show(name, ns) {
    if (ns !== undefined) setCursor(ns);
    location.hash = "#" + name;
  }

  return { data, views, el, svg, field, time, markdown, end, cursor: () => cursor, setCursor, onCursor, view, show,
           block: name => (data.views || {})[name] };
})();
// The page's script runs in one strict function (embed_web.cmake); Report is also the window's,
// for the browser tests and a reader's console.
window.Report = Report;
