// The report's page: renders the model in #report-data into the views. Every string of the run
// goes into the DOM as text (textContent, createTextNode), never as markup.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const KINDS = ["crash", "shutdown", "partition", "isolation", "pause", "slow-network", "slow-disk"];

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
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

  function renderIdentity() {
    const s = data.scenario;
    field("scenario-name").textContent = s.name || "(unnamed scenario)";
    document.title = (s.name || "kafkasim") + " — kafkasim report";
    field("seed").textContent = s.seed;
    field("replay").textContent = data.replay || "(not known: the report was made without the run's --json result)";
    field("kafka-version").textContent = s.kafka_version;
    field("simulated").textContent = time(data.timeline.end_ns) + " (" + data.events + " trace events)";
    const verdict = document.getElementById("verdict");
    verdict.textContent = data.result ? "Result: " + data.result : "Result: not known (no check result)";
    if (s.description) markdown(field("description"), s.description);
  }

  function renderChecks() {
    const checks = document.getElementById("checks");
    if (data.checks.length === 0) checks.appendChild(el("p", {}, "The scenario declared no expectations."));
    for (const c of data.checks) {
      const d = el("div", { "data-check": "", "data-held": c.held ? "true" : "false", "data-judged": c.judged ? "true" : "false" });
      d.appendChild(el("span", { class: "verdict" }, !c.judged ? "not judged: " : c.held ? "held: " : "VIOLATED: "));
      d.appendChild(el("span", { class: "name" }, c.name));
      if (c.detail) d.appendChild(el("div", { class: "detail" }, c.detail));
      if (c.explanation) d.appendChild(el("div", { class: "why" }, "Why: " + c.explanation));
      checks.appendChild(d);
    }
  }

  function renderCounts() {
    const tbody = field("counts").querySelector("tbody");
    for (const c of data.counts) {
      const tr = el("tr");
      tr.appendChild(el("td", {}, c.label));
      tr.appendChild(el("td", { class: "n" }, c.value));
      tbody.appendChild(tr);
    }
  }

  function renderNotes() {
    const list = document.getElementById("note-list");
    const notes = data.timeline.notes;
    if (notes.length === 0) list.appendChild(el("li", {}, "The scenario narrated nothing."));
    notes.forEach((n, i) => {
      const li = el("li", { id: "note-" + (i + 1) });
      li.appendChild(el("span", { class: "time" }, time(n.time_ns)));
      li.appendChild(document.createTextNode(n.text));
      list.appendChild(li);
    });
    const box = document.getElementById("summarised");
    if (data.summarised.length > 0) {
      box.hidden = false;
      for (const s of data.summarised) box.querySelector("ul").appendChild(el("li", {}, s));
    }
  }

  // The shared time axis: one lane per faulted thing (a node, a link), a lane of notes, ticks.
  function renderTimeline() {
    const tl = data.timeline;
    const root = document.getElementById("timeline");
    const end = Math.max(tl.end_ns, 1);
    const pct = ns => (100 * Math.min(Math.max(ns, 0), end) / end).toFixed(3) + "%";
    const lanes = new Map();
    for (const f of tl.faults) {
      const key = f.kind + "\u0000" + f.label;
      if (!lanes.has(key)) {
        const lane = el("div", { class: "lane" });
        lane.appendChild(el("span", { class: "lane-label" }, f.kind + ": " + f.label));
        lanes.set(key, lane);
        root.appendChild(lane);
      }
      const band = el("div", { "data-fault": "", "data-kind": f.kind, "data-start-ns": f.start_ns, "data-end-ns": f.end_ns,
                               "data-open": f.open_at_end ? "true" : "false",
                               title: f.kind + " " + f.label + ": " + time(f.start_ns) + " to " + (f.open_at_end ? "the end" : time(f.end_ns)) },
                      f.kind);
      band.style.left = pct(f.start_ns);
      band.style.width = pct(f.end_ns - f.start_ns);
      lanes.get(key).appendChild(band);
    }
    const notes = el("div", { class: "lane notes-lane" });
    tl.notes.forEach((n, i) => {
      const mark = el("a", { "data-note": "", "data-time-ns": n.time_ns, href: "#note-" + (i + 1), title: time(n.time_ns) + ": " + n.text });
      mark.style.left = pct(n.time_ns);
      mark.appendChild(el("span", {}, String(i + 1)));
      notes.appendChild(mark);
    });
    root.appendChild(notes);
    if (tl.drain_start_ns >= 0) {
      const drain = el("div", { class: "drain", title: "heal and drain" });
      drain.style.left = pct(tl.drain_start_ns);
      drain.style.width = pct((tl.drain_end_ns >= 0 ? tl.drain_end_ns : end) - tl.drain_start_ns);
      root.appendChild(drain);
    }
    const ticks = el("div", { class: "ticks", "aria-hidden": "true" });
    for (let i = 0; i <= 10; i++) {
      const t = el("span", {}, time(end * i / 10));
      t.style.left = (i * 10) + "%";
      ticks.appendChild(t);
    }
    root.appendChild(ticks);
    const legend = document.getElementById("legend");
    for (const k of KINDS) {
      const s = el("span", {}, k);
      s.style.setProperty("--swatch", "var(--" + k + ")");
      legend.appendChild(s);
    }
    legend.appendChild(el("em", {}, "numbered marks: notes; grey: heal and drain; dashed end: still going when the trace ended"));
  }

  function renderAnomalies() {
    const list = document.getElementById("anomaly-list");
    if (!data.has_check_result) list.appendChild(el("p", {}, "Not known: the report was made without the run's check result (--check)."));
    else if (data.anomalies.length === 0) list.appendChild(el("p", {}, "No anomalies."));
    for (const a of data.anomalies) {
      const d = el("div", { "data-anomaly": "", "data-kind": a.kind });
      d.appendChild(el("h2", {}, a.kind + (a.key ? " on " + a.key : "") + (a.allowed ? " (allowed)" : "")));
      if (a.detail) d.appendChild(el("p", { class: "detail" }, a.detail));
      d.appendChild(el("p", { class: "why" }, a.explanation ? "Why: " + a.explanation : "No explanation from the trace."));
      list.appendChild(d);
    }
  }

  // One view at a time, chosen by the location's hash. The nav links are plain links (Tab and
  // Enter reach every view); arrow keys on them, and the number keys anywhere, move between views.
  const links = Array.from(document.querySelectorAll("[data-view-link]"));
  function show() {
    const names = links.map(a => a.dataset.viewLink);
    const name = names.includes(location.hash.slice(1)) ? location.hash.slice(1) : "summary";
    for (const s of document.querySelectorAll("section[data-view]")) s.hidden = s.dataset.view !== name;
    for (const a of links) {
      if (a.dataset.viewLink === name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
  }
  function wireKeys() {
    document.getElementById("views").addEventListener("keydown", e => {
      const i = links.indexOf(document.activeElement);
      if (i < 0 || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
      const next = links[(i + (e.key === "ArrowRight" ? 1 : links.length - 1)) % links.length];
      next.focus();
      location.hash = next.getAttribute("href");
      e.preventDefault();
    });
    document.addEventListener("keydown", e => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const link = links.find(a => a.textContent.startsWith(e.key + " "));
      if (link) location.hash = link.getAttribute("href");
    });
    const large = document.getElementById("large-type");
    large.addEventListener("click", () => {
      const on = document.documentElement.classList.toggle("large");
      large.setAttribute("aria-pressed", on ? "true" : "false");
    });
    window.addEventListener("hashchange", show);
  }

  renderIdentity();
  renderChecks();
  renderCounts();
  renderNotes();
  renderTimeline();
  renderAnomalies();
  wireKeys();
  show();
  document.body.setAttribute("data-report-ready", "true");
})();
