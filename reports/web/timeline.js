// The shared time axis above every view: one lane per faulted thing (a node, a link), a lane of
// notes, ticks, and the cursor (click or drag on the axis to move it).
(function () {
  const { data, el, time } = Report;
  const KINDS = ["crash", "shutdown", "partition", "isolation", "pause", "slow-network", "slow-disk"];

  // One run's lanes: its faults and its notes (`run` is "" for a single run, "A" or "B" when two
  // are compared; the note marks of B link to nothing in this page's Summary).
  function drawRun(root, tl, run, pct) {
    const prefix = run ? run + " " : "";
    const lanes = new Map();
    for (const f of tl.faults) {
      const key = f.kind + "\u0000" + f.label;
      if (!lanes.has(key)) {
        const lane = el("div", { class: "lane" });
        lane.appendChild(el("span", { class: "lane-label" }, prefix + f.kind + ": " + f.label));
        lanes.set(key, lane);
        root.appendChild(lane);
      }
      const band = el("div", { "data-fault": "", "data-kind": f.kind, "data-start-ns": f.start_ns, "data-end-ns": f.end_ns,
                               "data-open": f.open_at_end ? "true" : "false",
                               title: f.kind + " " + f.label + ": " + time(f.start_ns) + " to " + (f.open_at_end ? "the end" : time(f.end_ns)) },
                      f.kind);
      if (run) band.setAttribute("data-run", run);
      band.style.left = pct(f.start_ns);
      band.style.width = pct(f.end_ns - f.start_ns);
      lanes.get(key).appendChild(band);
    }
    const notes = el("div", { class: "lane notes-lane" });
    if (run) notes.appendChild(el("span", { class: "lane-label" }, run + " notes"));
    tl.notes.forEach((n, i) => {
      const attrs = { "data-note": "", "data-time-ns": n.time_ns, title: prefix + time(n.time_ns) + ": " + n.text };
      if (run !== "B") attrs.href = "#note-" + (i + 1);
      if (run) attrs["data-run"] = run;
      const mark = el("a", attrs);
      mark.style.left = pct(n.time_ns);
      mark.appendChild(el("span", {}, String(i + 1)));
      mark.addEventListener("click", () => Report.setCursor(n.time_ns));
      notes.appendChild(mark);
    });
    root.appendChild(notes);
  }

  function render() {
    const tl = data.timeline;
    const root = document.getElementById("timeline");
    const end = Report.end;
    const pct = ns => (100 * Math.min(Math.max(ns, 0), end) / end).toFixed(3) + "%";
    drawRun(root, tl, data.compare ? "A" : "", pct);
    if (data.compare) drawRun(root, data.compare.timeline, "B", pct);
    if (tl.drain_start_ns >= 0) {
      const drain = el("div", { class: "drain", title: "heal and drain" + (data.compare ? " (A)" : "") });
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
    const cursor = el("div", { id: "cursor", "data-time-ns": 0, "aria-hidden": "true" });
    const cursorLabel = el("span", {}, "0");
    cursor.appendChild(cursorLabel);
    root.appendChild(cursor);
    Report.onCursor(ns => {
      cursor.style.left = pct(ns);
      cursor.setAttribute("data-time-ns", ns);
      cursorLabel.textContent = time(ns);
    });
    // Pointer on the axis (not on a note's link) moves the cursor.
    const at = e => {
      const r = root.getBoundingClientRect();
      return end * Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1);
    };
    root.addEventListener("pointerdown", e => {
      if (e.target.closest("[data-note]")) return;
      Report.setCursor(at(e));
      const move = m => Report.setCursor(at(m));
      root.addEventListener("pointermove", move);
      window.addEventListener("pointerup", () => root.removeEventListener("pointermove", move), { once: true });
    });
    const legend = document.getElementById("legend");
    for (const k of KINDS) {
      const s = el("span", {}, k);
      s.style.setProperty("--swatch", "var(--" + k + ")");
      legend.appendChild(s);
    }
    legend.appendChild(el("em", {}, "numbered marks: notes; grey: heal and drain; dashed end: still going when the trace ended; the line: the cursor (click the axis to move it)"));
  }

  Report.drawTimeline = render;
})();
