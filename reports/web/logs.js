// 2 Replica logs: per partition, one strip per replica with the records it holds at the cursor,
// coloured by producer, with its LEO, its HW, the leader, the ISR, each group's committed offset
// and the LSO. The state at any moment is rebuilt from the partition's list of changes
// (reports/logs_data.hpp), so stepping backwards is as exact as forwards.
(function () {
  const { el, svg, time } = Report;
  // Okabe-Ito, safe for colour-blind readers; the legend names each colour's producer.
  const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999"];
  const FEW_PARTITIONS = 8;  // more than this: a selector shows one at a time
  const WINDOW = 30;         // "the end of the log": this many offsets before the highest LEO
  const WIDTH = 900, LEFT = 4, ROW = 46, STRIP = 20;
  const PLAY_MS = 500;

  // ---- the state at a moment ----

  function cut(log, to) {
    while (log.length > 0 && log[log.length - 1].base >= to) log.pop();
    const last = log[log.length - 1];
    if (last && last.base + last.count > to) log[log.length - 1] = Object.assign({}, last, { count: to - last.base });
  }

  // Each append's fate: the lowest of its offsets that a later truncation (or a restart's
  // recovery) cut from the same replica, or Infinity.
  function fates(changes) {
    const truncatedFrom = new Map(), logs = new Map();
    changes.forEach((c, i) => {
      const [, kind, b] = c;
      if (!logs.has(b)) logs.set(b, []);
      const log = logs.get(b);
      if (kind === "a") { cutMarking(log, c[3], truncatedFrom); log.push({ base: c[3], count: c[4], change: i }); }
      else if (kind === "t" || kind === "r") cutMarking(log, c[3], truncatedFrom);
    });
    return truncatedFrom;
  }
  // A replica's log is in offset order, so what a cut reaches is its tail: walking back from the
  // end keeps a partition's pass linear (an append cuts nothing).
  function cutMarking(log, to, truncatedFrom) {
    for (let i = log.length - 1; i >= 0 && log[i].base + log[i].count > to; i--) {
      const b = log[i];
      truncatedFrom.set(b.change, Math.min(truncatedFrom.get(b.change) ?? Infinity, Math.max(to, b.base)));
    }
    cut(log, to);
  }

  // The partition at time t: its replicas (log, LEO, HW, role, down), leader, epoch, ISR, LSO,
  // and each group's committed offset.
  function stateAt(p, down, t) {
    const s = { replicas: new Map(), leader: -1, epoch: -1, isr: "", lso: -1, commits: new Map() };
    const replica = b => {
      if (!s.replicas.has(b)) s.replicas.set(b, { broker: b, log: [], leo: 0, hw: -1, down: false, leader: false });
      return s.replicas.get(b);
    };
    for (let i = 0; i < p.changes.length && p.changes[i][0] <= t; i++) {
      const c = p.changes[i], kind = c[1], r = kind === "c" ? null : replica(c[2]);
      if (kind === "a") { cut(r.log, c[3]); r.log.push({ base: c[3], count: c[4], epoch: c[5], pid: c[6], change: i }); r.leo = c[7]; }
      else if (kind === "t") { cut(r.log, c[3]); r.leo = c[3]; }
      else if (kind === "r") { cut(r.log, c[3]); r.leo = c[3]; r.hw = c[4]; }
      else if (kind === "L") { s.leader = c[2]; s.epoch = c[3]; r.leo = c[4]; r.hw = c[5]; s.isr = c[6]; }
      else if (kind === "F") { if (c[4] >= s.epoch) { s.leader = c[3]; s.epoch = c[4]; } r.leo = c[5]; r.hw = c[6]; }
      else if (kind === "I") { s.isr = c[4]; }
      else if (kind === "h") r.hw = c[3];
      else if (kind === "s") s.lso = c[3];
      else if (kind === "c") s.commits.set(c[2], c[3]);
    }
    for (const [at, b, isDown] of down) {
      if (at > t) break;
      if (s.replicas.has(b)) s.replicas.get(b).down = isDown === 1;
    }
    for (const r of s.replicas.values()) r.leader = r.broker === s.leader && !r.down;
    return s;
  }

  // ---- drawing ----

  // A batch's runs of one fate: kept, truncated (from truncatedFrom on), and each lost record.
  function runs(batch, truncatedFrom, lost) {
    const end = batch.base + batch.count, cutAt = truncatedFrom.get(batch.change) ?? Infinity;
    const points = new Set([batch.base, end]);
    if (cutAt > batch.base && cutAt < end) points.add(cutAt);
    for (const key of lost) {
      const [o, e] = key.split(":").map(Number);
      if (e === batch.epoch && o >= batch.base && o < end) { points.add(o); points.add(o + 1); }
    }
    const sorted = Array.from(points).sort((a, b) => a - b), out = [];
    for (let i = 0; i + 1 < sorted.length; i++) {
      const from = sorted[i], to = sorted[i + 1];
      const fate = lost.has(from + ":" + batch.epoch) ? "lost" : from >= cutAt ? "truncated" : "kept";
      out.push({ from, to, fate });
    }
    return out;
  }

  function producerIndex(block) {
    const ids = new Map();
    for (const p of block.partitions) for (const c of p.changes) if (c[1] === "a" && !ids.has(c[6])) ids.set(c[6], ids.size);
    return ids;
  }

  function drawRow(g, r, view, ctx) {
    const y = ctx.y;
    const x = o => LEFT + (o - view.lo) / (view.hi - view.lo) * (WIDTH - 2 * LEFT);
    const row = svg("g", { "data-replica": r.broker, "data-leo": r.leo, "data-leader": r.leader ? "true" : "false",
                          "data-down": r.down ? "true" : "false", class: "replica" + (r.down ? " down" : "") });
    if (r.leader) row.setAttribute("data-hw", r.hw);
    row.appendChild(svg("rect", { x: LEFT, y, width: WIDTH - 2 * LEFT, height: STRIP, class: "strip" }));
    // Records of one producer, epoch and fate side by side are drawn as one run unless each is
    // wide enough to carry its offset.
    const labels = (x(1) - x(0)) >= 5.5 * String(view.hi).length + 4, pieces = [];
    for (const batch of r.log) {
      if (batch.base + batch.count <= view.lo || batch.base >= view.hi) continue;
      for (const run of runs(batch, ctx.truncatedFrom, ctx.lost)) {
        const from = Math.max(run.from, view.lo), to = Math.min(run.to, view.hi), last = pieces[pieces.length - 1];
        if (to <= from) continue;
        if (!labels && last && last.to === from && last.pid === batch.pid && last.epoch === batch.epoch && last.fate === run.fate) last.to = to;
        else pieces.push({ from, to, pid: batch.pid, epoch: batch.epoch, fate: run.fate });
      }
    }
    for (const { from, to, pid, epoch, fate } of pieces) {
      const colour = PALETTE[(ctx.producers.get(pid) ?? 0) % PALETTE.length];
      const rec = svg("g", { "data-record": "", "data-offset": from, "data-count": to - from, "data-producer": pid,
                            "data-epoch": epoch, "data-fate": fate, class: "record " + fate, tabindex: "0", role: "button" });
      const box = { x: x(from), y, width: Math.max(x(to) - x(from), 0.5), height: STRIP };
      rec.appendChild(svg("rect", Object.assign({ fill: colour }, box)));
      if (fate === "truncated") rec.appendChild(svg("rect", Object.assign({ class: "hatch" }, box)));
      if (fate === "lost") rec.appendChild(svg("text", { x: (x(from) + x(to)) / 2, y: y + STRIP - 5, class: "lost-mark" }, "✕"));
      else if (labels) for (let o = from; o < to; o++) rec.appendChild(svg("text", { x: (x(o) + x(o + 1)) / 2, y: y + 13, class: "offset" }, o));
      rec.appendChild(svg("title", {}, (to - from === 1 ? `offset ${from}` : `offsets ${from}–${to - 1}`) +
        `: leader epoch ${epoch}, producer ${pid}, ${fate}; click for its journey`));
      row.appendChild(rec);
    }
    marker(row, "leo", r.leo, x, view, y, "LEO");
    if (r.hw >= 0) marker(row, "hw", r.hw, x, view, y, "HW");
    g.appendChild(row);
  }

  // A mark at an offset (drawn at the strip's edge, with an arrow, when outside the window).
  function marker(parent, kind, offset, x, view, y, label, attrs) {
    const clamped = Math.min(Math.max(offset, view.lo), view.hi);
    const m = svg("g", Object.assign({ "data-marker": kind, "data-offset": offset, class: "marker " + kind }, attrs || {}));
    const mx = x(clamped);
    const arrow = offset < view.lo ? "‹ " : offset > view.hi ? " ›" : "";
    if (kind === "leo") {
      m.appendChild(svg("line", { x1: mx, x2: mx, y1: y - 3, y2: y + STRIP + 3 }));
      m.appendChild(svg("text", { x: mx + 2, y: y + STRIP + 10 }, (arrow === "‹ " ? arrow : "") + label + " " + offset + (arrow === " ›" ? arrow : "")));
    } else if (kind === "hw" || kind === "lso") {
      m.appendChild(svg("path", { d: `M${mx - 5},${y - 7} L${mx + 5},${y - 7} L${mx},${y} Z` }));
      m.appendChild(svg("text", { x: mx + 6, y: y - 1 }, (arrow === "‹ " ? arrow : "") + label + " " + offset + (arrow === " ›" ? arrow : "")));
    } else {
      m.appendChild(svg("path", { d: `M${mx},${y} L${mx + 6},${y + 7} L${mx},${y + 14} L${mx - 6},${y + 7} Z` }));
      m.appendChild(svg("text", { x: mx + 8, y: y + 11 }, (arrow === "‹ " ? arrow : "") + label + (arrow === " ›" ? arrow : "")));
    }
    parent.appendChild(m);
  }

  // The offsets shown: the whole log, or the last WINDOW before the highest LEO at the cursor.
  function windowOf(p, s, whole) {
    let top = 1;
    for (const r of s.replicas.values()) top = Math.max(top, r.leo);
    if (whole) return { lo: 0, hi: Math.max(top, p.maxLeo) };
    return { lo: Math.max(0, top - WINDOW), hi: Math.max(top, WINDOW) + 2 };
  }

  function drawPartition(box, p, block, t, ctx) {
    box.replaceChildren();
    const s = stateAt(p, block.down, t);
    const view = windowOf(p, s, ctx.whole);
    const leader = s.leader >= 0 ? `leader broker ${s.leader}, epoch ${s.epoch}` : "no leader yet";
    box.appendChild(el("h2", {}, `${p.name}: ${leader}; ISR ${s.isr || "?"}` + (s.lso >= 0 ? `; LSO ${s.lso}` : "")));
    if (p.complete_until_ns !== undefined && t > p.complete_until_ns)
      box.appendChild(el("p", { class: "summarised-note", "data-field": "logs-incomplete" }, `This partition changed too often for the file: ` +
        `its changes after ${time(p.complete_until_ns)} are left out, so the strips show it as it was then.`));
    const brokers = Array.from(s.replicas.keys()).sort((a, b) => a - b);
    if (brokers.length === 0) {
      box.appendChild(el("p", { class: "logs-empty" }, `Nothing yet at ${time(t)}: the first change is at ${time(p.changes[0][0])} (next change ▶).`));
      return;
    }
    const commits = Array.from(s.commits.entries());
    // Each group's commit and the LSO on a line of their own, so labels of close offsets never overlap.
    const MARK = 17, markLines = commits.length + (s.lso >= 0 ? 1 : 0);
    const height = 20 + brokers.length * ROW + (markLines > 0 ? markLines * MARK + 10 : 0);
    const area = svg("svg", { viewBox: `-96 0 ${WIDTH + 96} ${height}`, class: "logs-strips", role: "img",
                              "aria-label": `${p.name} at ${time(t)}` });
    const x = o => LEFT + (o - view.lo) / (view.hi - view.lo) * (WIDTH - 2 * LEFT);
    ctx.truncatedFrom = p.truncatedFrom;
    ctx.lost = p.lostSet;
    brokers.forEach((b, i) => {
      const r = s.replicas.get(b);
      ctx.y = 14 + i * ROW;
      area.appendChild(svg("text", { x: -94, y: ctx.y + 14, class: "replica-label" }, `broker ${b}` + (r.down ? " (down)" : r.leader ? " ★" : "")));
      drawRow(area, r, view, ctx);
    });
    const y = 14 + brokers.length * ROW;
    if (commits.length > 0) area.appendChild(svg("text", { x: -94, y: y + 12, class: "replica-label" }, "groups"));
    commits.forEach(([g, offset], i) => marker(area, "commit", offset, x, view, y + i * MARK, block.groups[g] + " " + offset, { "data-group": block.groups[g] }));
    if (s.lso >= 0) marker(area, "lso", s.lso, x, view, y + commits.length * MARK + 8, "LSO");
    box.appendChild(area);
    // A record's journey: the offset under the pointer (the run's first by keyboard), in the
    // epoch it was written in, opened in Record fates.
    const said = el("p", { "data-field": "record-note", "aria-live": "polite" });
    const open = (rec, clientX) => {
      const from = Number(rec.getAttribute("data-offset")), count = Number(rec.getAttribute("data-count"));
      const epoch = Number(rec.getAttribute("data-epoch"));
      let offset = from;
      if (clientX !== undefined && count > 1) {
        const r = rec.querySelector("rect").getBoundingClientRect();
        offset = from + Math.min(count - 1, Math.max(0, Math.floor((clientX - r.left) / Math.max(r.width, 1) * count)));
      }
      if (Report.openRecord && Report.openRecord(p.name, offset, epoch)) return;
      said.textContent = `Offset ${offset} in leader epoch ${epoch} is not in Record fates' list: it was never acknowledged ` +
        "(a replica's copy, or a send whose answer was lost), or the list left it out (it keeps every flagged record and the first of the rest).";
    };
    area.addEventListener("click", e => { const rec = e.target.closest("[data-record]"); if (rec) open(rec, e.clientX); });
    area.addEventListener("keydown", e => {
      const rec = e.target.closest("[data-record]");
      if (rec && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); e.stopPropagation(); open(rec); }
    });
    box.appendChild(said);
    const rows = el("ul", { class: "replica-lines" });
    for (const b of brokers) {
      const r = s.replicas.get(b);
      const role = r.down ? "down" : r.leader ? `leader (epoch ${s.epoch})` : "follower";
      const inIsr = s.isr.split(",").includes(String(b)) ? "in the ISR" : "not in the ISR";
      rows.appendChild(el("li", {}, `broker ${b}: ${role}, ${inIsr}, LEO ${r.leo}` + (r.hw >= 0 ? `, HW ${r.hw}` : "")));
    }
    for (const [g, offset] of commits) rows.appendChild(el("li", {}, `group ${block.groups[g]} committed offset ${offset}`));
    if (p.lost.length > 0) rows.appendChild(el("li", { class: "lost-line" },
      `${p.lost_count} acknowledged record(s) no replica holds at the end: offsets ` + p.lost.map(l => l[0]).join(", ")));
    box.appendChild(rows);
  }

  function legend(block, producers) {
    const box = el("div", { class: "logs-legend", "data-legend": "" });
    const names = new Map(block.producers.map(p => [p.id, p.name]));
    for (const [pid, i] of producers) {
      const item = el("span", { "data-producer": pid });
      item.style.setProperty("--swatch", PALETTE[i % PALETTE.length]);
      item.textContent = pid < 0 ? "records without a producer id (not idempotent)" :
        `producer id ${pid}` + (names.has(pid) ? ` (${names.get(pid)})` : "");
      box.appendChild(item);
    }
    box.appendChild(el("span", { class: "fate-truncated" }, "hatched: truncated later from this replica"));
    box.appendChild(el("span", { class: "fate-lost" }, "✕: acknowledged, held by no replica at the end (lost)"));
    box.appendChild(el("span", { class: "marks" }, "★ leader, ▼ HW (high watermark), | LEO (log end offset), ◆ a group's committed offset"));
    return box;
  }

  // ---- the controls ----

  function stepTimes(parts) {
    const times = new Set();
    for (const p of parts) for (const c of p.changes) times.add(c[0]);
    return Array.from(times).sort((a, b) => a - b);
  }
  function nextTime(times, t) { for (const x of times) if (x > t) return x; return undefined; }
  function prevTime(times, t) {
    let found;
    for (const x of times) { if (x >= t) break; found = x; }
    return found;
  }

  function controls(onStep, state) {
    const bar = el("div", { class: "logs-controls", role: "group", "aria-label": "Time" });
    const prev = el("button", { type: "button", "data-step": "prev", title: "previous change (, or ←)" }, "◀ previous change");
    const next = el("button", { type: "button", "data-step": "next", title: "next change (. or →)" }, "next change ▶");
    const play = el("button", { type: "button", "data-play": "", "aria-pressed": "false" }, "▶ play");
    const scrub = el("input", { type: "range", "data-scrub": "", min: 0, max: Report.end, step: 1, value: 0, "aria-label": "time" });
    const now = el("span", { class: "logs-time", "data-field": "logs-time" }, "0");
    const whole = el("label", {}, "");
    const box = el("input", { type: "checkbox", "data-whole": "" });
    whole.append(box, document.createTextNode(" the whole log"));
    prev.addEventListener("click", () => onStep(-1));
    next.addEventListener("click", () => onStep(1));
    scrub.addEventListener("input", () => Report.setCursor(Number(scrub.value)));
    box.addEventListener("change", () => { state.whole = box.checked; Report.setCursor(Report.cursor()); });
    let timer = null;
    const stop = () => { clearInterval(timer); timer = null; play.textContent = "▶ play"; play.setAttribute("aria-pressed", "false"); };
    play.addEventListener("click", () => {
      if (timer) return stop();
      play.textContent = "❚❚ pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(() => { if (!onStep(1)) stop(); }, PLAY_MS);
    });
    bar.append(prev, next, play, scrub, now, whole);
    return { bar, scrub, now };
  }

  Report.view({
    name: "logs", key: "2", title: "Replica logs",
    render(section) {
      const block = Report.block("logs");
      if (!block || block.partitions.length === 0) {
        section.appendChild(el("p", {}, "No partition had a record appended in this run."));
        return;
      }
      section.setAttribute("tabindex", "-1");
      section.appendChild(el("p", { class: "logs-help" },
        "Each row is one broker's copy of the partition at the cursor. Step through the changes with the buttons, " +
        "the , and . keys (or the arrow keys), or drag the slider."));
      // The hatching of truncated records, shared by every strip.
      const defs = svg("svg", { width: 0, height: 0, "aria-hidden": "true", style: "position:absolute" });
      const hatch = svg("pattern", { id: "logs-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
      hatch.appendChild(svg("rect", { width: 6, height: 6, fill: "rgba(255,255,255,.35)" }));
      hatch.appendChild(svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#000", "stroke-width": 2 }));
      defs.appendChild(hatch);
      section.appendChild(defs);
      for (const p of block.partitions) {
        p.truncatedFrom = fates(p.changes);
        p.lostSet = new Set(p.lost.map(l => l[0] + ":" + l[1]));
        p.maxLeo = p.changes.reduce((m, c) => c[1] === "a" ? Math.max(m, c[7]) : m, 1);
      }
      const state = { whole: false, shown: block.partitions.length <= FEW_PARTITIONS ? block.partitions : [block.partitions[0]] };
      let times = stepTimes(state.shown);
      const step = dir => {
        const t = dir > 0 ? nextTime(times, Report.cursor()) : prevTime(times, Report.cursor());
        if (t === undefined) return false;
        Report.setCursor(t);
        return true;
      };
      const ui = controls(step, state);
      section.appendChild(ui.bar);
      if (block.partitions.length > FEW_PARTITIONS) {
        const select = el("select", { "data-partition-select": "", "aria-label": "partition" });
        for (const p of block.partitions) select.appendChild(el("option", { value: p.name }, p.name));
        select.addEventListener("change", () => {
          state.shown = block.partitions.filter(p => p.name === select.value);
          times = stepTimes(state.shown);
          Report.setCursor(Report.cursor());
        });
        ui.bar.prepend(select);
      }
      const producers = producerIndex(block);
      section.appendChild(legend(block, producers));
      const boxes = el("div", { class: "logs-partitions" });
      section.appendChild(boxes);
      section.addEventListener("keydown", e => {
        if (e.altKey || e.ctrlKey || e.metaKey || (e.target.closest && e.target.closest("input, select, textarea"))) return;
        const dir = e.key === "," || e.key === "ArrowLeft" ? -1 : e.key === "." || e.key === "ArrowRight" ? 1 : 0;
        if (dir === 0) return;
        step(dir);
        e.preventDefault();
      });
      const draw = t => {
        ui.scrub.value = String(t);
        ui.now.textContent = time(t);
        boxes.replaceChildren();
        for (const p of state.shown) {
          const box = el("div", { class: "logs-partition", "data-partition": p.name });
          drawPartition(box, p, block, t, { producers, whole: state.whole });
          boxes.appendChild(box);
        }
      };
      Report.onCursor(draw);
      draw(Report.cursor());
    },
  });
})();
