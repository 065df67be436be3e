// 4 Consumer groups: per group, on the run's time axis (the same 0..end scale as the axis
// above), one lane per member: when its process ran, what it was assigned in each generation,
// when its partitions stood still in a rebalance (eager: everything it held; cooperative: only
// what moved), its commits, and marks for start, close, crash and removal. The group's
// generations are vertical lines; each partition's lag is a small line under the lanes, and a
// table gives it at the cursor. Clicking a lane moves the cursor.
(function () {
  const { el, svg, time } = Report;
  const FAILED = "\u2716";  // a failed commit's mark: a shape, not only a colour

  const pct = ns => (100 * Math.min(Math.max(ns, 0), Report.end) / Report.end).toFixed(3) + "%";
  function place(e, start, end) {
    e.style.left = pct(start);
    if (end !== undefined) e.style.width = pct(end - start);
    return e;
  }

  function laneOf(m) {
    const lane = el("div", { class: "glane", "data-member": m.name });
    lane.appendChild(el("span", { class: "lane-label" }, m.name));
    for (const l of m.life) {
      lane.appendChild(place(el("div", { class: "life", "data-open": l.open ? "true" : "false",
                                         title: m.name + " running: " + time(l.start_ns) + " to " + (l.open ? "the end" : time(l.end_ns)) }),
                             l.start_ns, l.end_ns));
    }
    for (const s of m.segments) {
      const seg = el("div", { "data-assignment": "", "data-generation": s.generation, "data-partitions": s.partitions,
                              "data-start-ns": s.start_ns, "data-end-ns": s.end_ns,
                              title: "generation " + s.generation + ": " + s.partitions + " (" + time(s.start_ns) + " to " + time(s.end_ns) + ")" },
                     s.partitions);
      lane.appendChild(place(seg, s.start_ns, s.end_ns));
    }
    for (const p of m.pauses) {
      const pause = el("div", { "data-rebalance-pause": "", "data-kind": p.kind, "data-cause": p.cause, "data-partitions": p.partitions,
                                "data-start-ns": p.start_ns, "data-end-ns": p.end_ns, "data-open": p.open ? "true" : "false",
                                title: p.kind + " pause (" + p.cause + "): " + p.partitions + " consumed by nobody for " +
                                       time(p.end_ns - p.start_ns) + (p.open ? " (still at the end)" : "") });
      lane.appendChild(place(pause, p.start_ns, p.end_ns));
    }
    // A failed commit is a cross; the first of a close run also says "failed" (more would overlap).
    let labelled = -Infinity;
    for (const c of m.commits) {
      const word = !c.ok && c.time_ns - labelled > Report.end / 50;
      if (word) labelled = c.time_ns;
      const tick = el("span", { "data-commit": "", "data-ok": c.ok ? "true" : "false", "data-time-ns": c.time_ns,
                                title: (c.ok ? "commit" : "FAILED commit") + " at " + time(c.time_ns) + " (" + c.why +
                                       (c.sync ? ", sync" : ", async") + ", generation " + c.generation + "): " + c.detail },
                      c.ok ? "" : FAILED + (word ? " failed" : ""));
      lane.appendChild(place(tick, c.time_ns));
    }
    for (const [second, ok, failed] of m.commit_seconds) {
      const n = el("span", { "data-commit-count": "", "data-ok": ok, "data-failed": failed, "data-time-ns": second * 1e9,
                             title: time(second * 1e9) + ": " + ok + " commits" + (failed ? ", " + failed + " failed" : "") + " (counted)" });
      lane.appendChild(place(n, second * 1e9, (second + 1) * 1e9));
    }
    for (const k of m.marks) {
      const mark = el("span", { class: "gmark", "data-mark": k.kind, "data-time-ns": k.time_ns, title: k.kind + " at " + time(k.time_ns) + ": " + k.detail }, k.kind);
      lane.appendChild(place(mark, k.time_ns));
    }
    return lane;
  }

  // The lag of each partition: a small line on the time axis, scaled to the group's largest.
  function lagLines(g) {
    const parts = Object.keys(g.lag);
    if (parts.length === 0) return el("p", {}, "No lag samples (consumer.lag) for this group.");
    const top = parts.reduce((m, p) => g.lag[p].points.reduce((n, x) => Math.max(n, x[1]), m), 1);
    const box = el("div", { class: "lag-lines" });
    for (const p of parts) {
      const row = el("div", { class: "glane lag-line", "data-lag-partition": p });
      row.appendChild(el("span", { class: "lane-label" }, "lag " + p + " (max " + top + ")"));
      const s = svg("svg", { viewBox: "0 0 1000 20", preserveAspectRatio: "none", "aria-hidden": "true" });
      const pts = g.lag[p].points.map(([t, v]) => (1000 * t / Report.end).toFixed(1) + "," + (19 - 18 * v / top).toFixed(1));
      s.appendChild(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "currentColor", "stroke-width": 1.5,
                                      "vector-effect": "non-scaling-stroke" }));
      row.appendChild(s);
      box.appendChild(row);
    }
    return box;
  }

  // The lag at the cursor: each partition's last sample at or before it.
  function lagTable(g) {
    const table = el("table", { class: "lag-at-cursor", "data-lag-table": "" });
    const caption = el("caption", {}, "Lag at the cursor");
    table.appendChild(caption);
    const head = el("tr");
    head.appendChild(el("th", { scope: "col" }, "Partition"));
    head.appendChild(el("th", { scope: "col" }, "Lag (records)"));
    table.appendChild(head);
    const cells = Object.keys(g.lag).map(p => {
      const tr = el("tr");
      tr.appendChild(el("td", {}, p));
      const td = el("td", { class: "n" }, "");
      tr.appendChild(td);
      table.appendChild(tr);
      return [g.lag[p].points, td];
    });
    Report.onCursor(ns => {
      caption.textContent = "Lag at the cursor (" + time(ns) + ")";
      for (const [points, td] of cells) {
        let v = "-";
        for (const [t, lag] of points) { if (t > ns) break; v = lag; }
        td.textContent = String(v);
      }
    });
    return table;
  }

  function groupOf(g) {
    const d = el("div", { class: "group", "data-group": g.group });
    const kind = g.protocol.includes("cooperative") ? "cooperative" : "eager";
    d.appendChild(el("h2", {}, "Group " + g.group));
    d.appendChild(el("p", { class: "protocol" }, "Assignor " + (g.protocol || "(none chosen)") + ": " + (kind === "eager"
      ? "eager rebalancing: every member gives up everything it holds, so the whole group stands still."
      : "cooperative rebalancing: only the partitions that move stand still; the rest are consumed throughout.")));
    const lanes = el("div", { class: "glanes" });
    // Members in their names' natural order: g-2 before g-10.
    const members = g.members.slice().sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    for (const m of members) lanes.appendChild(laneOf(m));
    lanes.appendChild(lagLines(g));
    let generation = -1;
    for (const s of g.states) {
      if (s.generation === generation) continue;
      generation = s.generation;
      lanes.appendChild(place(el("div", { class: "gen", "data-generation-mark": s.generation, "data-time-ns": s.time_ns,
                                          title: "generation " + s.generation + " (" + s.state + ", " + s.reason + ") at " + time(s.time_ns) },
                                 "g" + s.generation), s.time_ns));
    }
    const cursor = el("div", { class: "gcursor", "aria-hidden": "true" });
    lanes.appendChild(cursor);
    Report.onCursor(ns => { cursor.style.left = pct(ns); });
    lanes.addEventListener("click", e => {
      const r = lanes.getBoundingClientRect();
      Report.setCursor(Report.end * Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1));
    });
    d.appendChild(lanes);
    if (g.commits_counted > 0) d.appendChild(el("p", { class: "note" }, g.commits_counted + " commits past the first ones are counted per second (the small bars)."));
    d.appendChild(lagTable(g));
    return d;
  }

  Report.view({
    name: "groups", key: "4", title: "Consumer groups",
    render(section) {
      const block = Report.block("groups");
      if (!block || block.groups.length === 0) {
        section.appendChild(el("p", {}, "No consumer groups in this run."));
        return;
      }
      section.appendChild(el("p", { class: "legend-line" }, "Each lane is a member on the run's time axis: grey, its process running; " +
        "boxes, its assignment per generation; hatched, partitions consumed by nobody in a rebalance; ticks, commits (" + FAILED +
        " failed); numbered lines, generations. Click a lane to move the cursor."));
      for (const g of block.groups) section.appendChild(groupOf(g));
    },
  });
})();
