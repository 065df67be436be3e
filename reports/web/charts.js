// 5 Charts: the run's rates and levels over time, drawn with uPlot (inlined into the file at
// build time: nothing is fetched). Each chart shades the fault bands of the axis above and
// draws the cursor; clicking a chart moves the cursor. A point is one bucket of the run (1 s,
// or coarser for a long run: the view says which).
(function () {
  const { data, el } = Report;
  const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000"];
  const FAULT_FILL = {
    crash: "rgba(213,94,0,.18)", shutdown: "rgba(230,159,0,.18)", partition: "rgba(0,114,178,.15)", isolation: "rgba(86,180,233,.18)",
    pause: "rgba(204,121,167,.2)", "slow-network": "rgba(0,158,115,.15)", "slow-disk": "rgba(240,228,66,.3)",
  };

  // The fault bands of each kind as their union (a dozen overlapping shutdowns shade once), in
  // seconds.
  const faultSpans = (() => {
    const byKind = new Map();
    for (const f of data.timeline.faults) {
      if (!byKind.has(f.kind)) byKind.set(f.kind, []);
      byKind.get(f.kind).push([f.start_ns / 1e9, f.end_ns / 1e9]);
    }
    const spans = [];
    for (const [kind, list] of byKind) {
      list.sort((a, b) => a[0] - b[0]);
      let cur = null;
      for (const [s, e] of list) {
        if (cur && s <= cur[1]) cur[1] = Math.max(cur[1], e);
        else { cur = [s, e]; spans.push([kind, cur]); }
      }
    }
    return spans;
  })();

  // Fault bands behind the series.
  function drawFaults(u) {
    const { ctx, bbox } = u;
    ctx.save();
    for (const [kind, [start, end]] of faultSpans) {
      const x0 = u.valToPos(start, "x", true), x1 = u.valToPos(end, "x", true);
      const left = Math.max(x0, bbox.left), right = Math.min(Math.max(x1, x0 + 2), bbox.left + bbox.width);
      if (right <= left) continue;
      ctx.fillStyle = FAULT_FILL[kind] || "rgba(0,0,0,.08)";
      ctx.fillRect(left, bbox.top, right - left, bbox.height);
    }
    ctx.restore();
  }
  function drawCursor(u) {
    const x = u.valToPos(Report.cursor() / 1e9, "x", true);
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = "#d55e00";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  // One chart: `series` is [[label, values], ...] over the block's buckets.
  function chart(section, name, title, unit, xs, series, width) {
    const box = el("figure", { class: "chart", "data-chart": name });
    box.appendChild(el("figcaption", {}, title));
    section.appendChild(box);
    const opts = {
      width, height: 200,
      scales: { x: { time: false } },
      axes: [{ label: "seconds of the run" }, { label: unit, size: 60 }],
      series: [{ label: "s" }].concat(series.map(([label], i) => ({ label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false }))),
      hooks: { drawClear: [drawFaults], draw: [drawCursor] },
      legend: { live: true },
    };
    const u = new uPlot(opts, [xs].concat(series.map(s => s[1])), box);
    Report.onCursor(() => u.redraw(false, false));
    u.over.addEventListener("click", e => Report.setCursor(u.posToVal(e.offsetX, "x") * 1e9));
    return u;
  }

  function render(section) {
    const c = Report.block("charts");
    if (!c) { section.appendChild(el("p", {}, "No chart data in this report.")); return; }
    if (typeof uPlot === "undefined") {
      section.appendChild(el("p", { class: "missing", "data-charts-missing": "" }, "charts need uPlot: run scripts/setup (then rebuild kafkasim)"));
      return;
    }
    const step = c.bucket_ns / 1e9;
    section.appendChild(el("p", {}, "Each point is " + (step === 1 ? "one second" : step + " seconds") + " of the run" +
      (step === 1 ? "" : " (a long run: rates are averaged over the bucket, levels taken at its end, latencies over the sends completed in it, or, where two buckets were merged, the larger of their percentiles)") +
      ". Shaded: the faults of the axis above. The red line is the cursor; click a chart to move it."));
    const xs = Array.from({ length: c.buckets }, (_, i) => i * step);
    const width = Math.max(320, Math.min(document.querySelector("main").clientWidth || 900, 1000) - 20);
    const perGroup = levels => Object.keys(levels).map(g => ["group " + g, levels[g]]);
    const charts = [
      ["produce", "Produced and acknowledged (records per second)", "records/s", [["sends begun", c.produce], ["acknowledged", c.acknowledged]]],
      ["consume", "Consumed (records polled per second, every group)", "records/s", [["polled", c.consume]]],
      ["lag", "Lag per group (records behind the high watermark, summed over its partitions)", "records", perGroup(c.lag)],
      ["unseen", "Unseen per group (acknowledged records none of its members has polled yet)", "records", perGroup(c.unseen)],
      ["latency", "Produce latency (send to acknowledgement or failure, ms, by the second it completed)", "ms",
       [["p50", c.latency.p50_ms], ["p99", c.latency.p99_ms], ["max", c.latency.max_ms]]],
    ];
    const none = [["(no consumer groups in this run)", xs.map(() => null)]];
    for (const [name, title, unit, series] of charts) chart(section, name, title, unit, xs, series.length > 0 ? series : none, width);
  }

  Report.view({ name: "charts", key: "5", title: "Charts", render });
})();
