// 3 Messages: a space-time diagram of the protocol messages around the cursor: one lane per node
// (a column), time flowing down, each message an arrow from its send to its arrival with its
// API name and its own fields (an error when it carries one); a dropped message ends in a cross
// with the drop's reason, one never delivered ends open; a request its producer stopped waiting
// for (request.timeout.ms) is marked with a ring where it gave up, labelled, and joined to the
// request by a dotted line when the request is shown. The file keeps the messages around moments (faults, notes, truncations, failed
// sends, timeouts): the moment buttons and list move the cursor to them.
(function () {
  const { el, svg, time } = Report;
  const SPANS = [[20e6, "20 ms"], [100e6, "100 ms"], [500e6, "500 ms"], [2e9, "2 s"]];
  const MAX_ARROWS = 160;
  const LANE_W = 150, TOP = 40, HEIGHT = 560, LEFT = 70;
  // A message's error, when it carries one other than NONE: " NAME", else "".
  const errorOf = m => { const e = /(?:^| )error=(\S+)/.exec(m.detail || ""); return e && e[1] !== "NONE" ? " " + e[1] : ""; };

  function render(section) {
    const d = Report.block("messages");
    if (!d || d.messages.length === 0) {
      section.appendChild(el("p", {}, "This report keeps no messages (the run sent none around its moments)."));
      return;
    }
    section.appendChild(el("p", {}, "The protocol messages around the cursor: one column per node, time flowing down, each message an arrow " +
      "from its send to its arrival. Of the " + d.sent + " messages the run sent, the file keeps the " + d.messages.length +
      " around its moments (faults, notes, truncations, failed sends, timeouts): pick one to go there."));
    const bar = el("div", { class: "message-controls" });
    const prev = el("button", { type: "button", "data-moment": "prev" }, "◀ previous moment");
    const next = el("button", { type: "button", "data-moment": "next" }, "next moment ▶");
    const list = el("select", { "data-moments": "", "aria-label": "Moments" });
    d.moments.forEach((m, i) => list.appendChild(el("option", { value: i }, time(m.time_ns) + " " + m.what)));
    const span = el("select", { "data-span": "", "aria-label": "Time shown" });
    for (const [ns, label] of SPANS) span.appendChild(el("option", { value: ns }, label));
    span.value = String(100e6);
    const hideLabel = el("label");
    const hide = el("input", { type: "checkbox", "data-hide-replication": "" });
    hideLabel.append(hide, " hide replication fetches between brokers");
    bar.append(prev, next, list, el("span", {}, " show "), span, hideLabel);
    section.appendChild(bar);
    const status = el("p", { "data-field": "messages-shown", "aria-live": "polite" });
    section.appendChild(status);
    const holder = el("div", { class: "space-time" });
    section.appendChild(holder);

    // Half a window of context before a moment, the rest after it.
    const go = i => { list.value = String(i); Report.setCursor(d.moments[i].time_ns); };
    const momentAt = ns => { let i = -1; d.moments.forEach((m, k) => { if (m.time_ns <= ns) i = k; }); return i; };
    prev.addEventListener("click", () => { const i = momentAt(Report.cursor() - 1); if (i >= 0) go(i); });
    next.addEventListener("click", () => { const i = d.moments.findIndex(m => m.time_ns > Report.cursor()); if (i >= 0) go(i); });
    list.addEventListener("change", () => go(Number(list.value)));
    span.addEventListener("change", draw);
    hide.addEventListener("change", draw);
    Report.onCursor(ns => {
      const i = momentAt(ns);  // the list names the moment the cursor is at or after
      list.value = String(Math.max(i, 0));
      if (!section.hidden) draw();
    });
    window.addEventListener("hashchange", () => { if (location.hash === "#messages") draw(); });

    const isBroker = n => /^broker-/.test(n) || n === "controller";
    function draw() {
      const width = Number(span.value);
      const from = Report.cursor() - width / 4, to = from + width;
      let shown = d.messages.filter(m => m.sent_ns >= from && m.sent_ns <= to);
      const timeouts = (d.timeouts || []).filter(t => t.time_ns >= from && t.time_ns <= to);
      if (hide.checked) shown = shown.filter(m => !(/^Fetch(Request|Response)$/.test(m.msg) && isBroker(d.nodes[m.from]) && isBroker(d.nodes[m.to])));
      const total = shown.length;
      shown = shown.slice(0, MAX_ARROWS);
      holder.textContent = "";
      if (total === 0 && timeouts.length === 0) {
        const near = d.moments.reduce((best, m, i) => best < 0 || Math.abs(m.time_ns - Report.cursor()) < Math.abs(d.moments[best].time_ns - Report.cursor()) ? i : best, -1);
        status.textContent = "No message the file keeps was sent between " + time(Math.max(from, 0)) + " and " + time(to) + ".";
        if (near >= 0) {
          const b = el("button", { type: "button", "data-moment": "nearest" }, "Go to the nearest moment: " + time(d.moments[near].time_ns) + " " + d.moments[near].what);
          b.addEventListener("click", () => go(near));
          holder.appendChild(b);
        }
        return;
      }
      status.textContent = "Messages sent from " + time(Math.max(from, 0)) + " to " + time(to) + ": " + total +
        (total > shown.length ? " (the first " + shown.length + " drawn: show less time to see the rest)" : "") +
        (timeouts.length ? "; requests timed out: " + timeouts.length : "") + ".";
      // The lanes: the nodes these messages touch, brokers and the controller first.
      const used = [...new Set(shown.flatMap(m => [m.from, m.to]).concat(timeouts.flatMap(t => t.peer >= 0 ? [t.node, t.peer] : [t.node])))].sort((a, b) => {
        const ka = isBroker(d.nodes[a]) ? 0 : 1, kb = isBroker(d.nodes[b]) ? 0 : 1;
        return ka - kb || d.nodes[a].localeCompare(d.nodes[b]);
      });
      const x = new Map(used.map((n, i) => [n, LEFT + i * LANE_W + LANE_W / 2]));
      const y = ns => TOP + HEIGHT * (ns - from) / width;
      const w = LEFT + used.length * LANE_W + 20;
      const root = svg("svg", { "data-field": "space-time", viewBox: "0 0 " + w + " " + (TOP + HEIGHT + 20), width: w, height: TOP + HEIGHT + 20,
                                role: "img", "aria-label": "Messages between " + time(Math.max(from, 0)) + " and " + time(to) });
      const defs = svg("defs");
      const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z" }));
      defs.appendChild(marker);
      root.appendChild(defs);
      for (const n of used) {
        const g = svg("g", { "data-lane": d.nodes[n] });
        g.appendChild(svg("line", { x1: x.get(n), y1: TOP - 8, x2: x.get(n), y2: TOP + HEIGHT, class: "lane-line" }));
        g.appendChild(svg("text", { x: x.get(n), y: TOP - 14, "text-anchor": "middle", class: "lane-name" }, d.nodes[n]));
        root.appendChild(g);
      }
      for (let i = 0; i <= 4; i++) {
        const ns = from + width * i / 4;
        root.appendChild(svg("text", { x: 4, y: y(ns) + 4, class: "tick" }, time(Math.max(ns, 0))));
      }
      const c = Report.cursor();
      root.appendChild(svg("line", { x1: LEFT - 10, y1: y(c), x2: w - 10, y2: y(c), class: "cursor-line" }));
      for (const m of shown) {
        const x1 = x.get(m.from), x2 = x.get(m.to), y1 = y(m.sent_ns);
        const arrived = m.received_ns >= 0;
        const y2 = arrived ? y(Math.min(m.received_ns, to + width)) : y1 + 18;
        const xe = arrived ? x2 : x1 + (x2 - x1) * 0.45;
        const label = m.msg + (m.detail ? " " + m.detail : "");
        const attrs = { "data-message": "", "data-msg": m.msg, "data-from": d.nodes[m.from], "data-to": d.nodes[m.to], "data-send-ns": m.sent_ns,
                        "data-recv-ns": m.received_ns, class: "msg" + (errorOf(m) ? " msg-error" : "") };
        if (m.dropped) attrs["data-dropped"] = m.dropped;
        const g = svg("g", attrs);
        g.appendChild(svg("title", {}, label + ": sent " + time(m.sent_ns) + (arrived ? ", arrived " + time(m.received_ns) :
          m.dropped ? ", dropped (" + m.dropped + ")" : ", never delivered")));
        g.appendChild(svg("line", { x1, y1, x2: xe, y2, class: arrived ? "arrow" : "arrow lost", "marker-end": arrived ? "url(#arrow)" : "" }));
        if (!arrived) g.appendChild(svg("text", { x: xe, y: y2 + 4, "text-anchor": "middle", class: "drop" }, m.dropped ? "✖ " + m.dropped : "… never arrived"));
        const lx = (x1 + xe) / 2, ly = (y1 + y2) / 2 - 3;
        g.appendChild(svg("text", { x: lx, y: ly, "text-anchor": "middle", class: "msg-label" }, m.msg.replace(/(Request|Response)$/, m.msg.endsWith("Response") ? " ←" : " →") +
          errorOf(m)));
        root.appendChild(g);
      }
      for (const t of timeouts) {
        // The request it gave up on, when the file keeps it: the latest one sent before.
        const req = t.peer < 0 ? null : shown.filter(m => m.from === t.node && m.to === t.peer && m.msg === t.api + "Request" &&
          m.sent_ns <= t.time_ns && new RegExp("(^| )correlation_id=" + t.correlation_id + "( |$)").test(m.detail || "")).pop();
        const g = svg("g", { "data-timeout": "", "data-api": t.api, "data-node": d.nodes[t.node], "data-time-ns": t.time_ns, class: "timeout" });
        const label = t.api + " request " + t.correlation_id + (t.peer >= 0 ? " to " + d.nodes[t.peer] : "") + " timed out";
        g.appendChild(svg("title", {}, label + " at " + time(t.time_ns) + ": the producer closes the connection and fails what was in flight on it"));
        const xt = x.get(t.node), yt = y(t.time_ns);
        if (req) g.appendChild(svg("line", { x1: x.get(req.from), y1: y(req.sent_ns), x2: xt, y2: yt, class: "timeout-wait" }));
        g.appendChild(svg("circle", { cx: xt, cy: yt, r: 6, class: "timeout-mark" }));
        // The label on the side with room: left of a lane in the right half.
        const left = xt > w / 2;
        g.appendChild(svg("text", { x: left ? xt - 10 : xt + 10, y: yt + 4, "text-anchor": left ? "end" : "start", class: "timeout-label" }, label));
        root.appendChild(g);
      }
      holder.appendChild(root);
    }
    draw();
  }

  Report.view({ name: "messages", key: "3", title: "Messages", render });
})();
