// 6 Record fates: every acknowledged record's fate: where it landed (partition, offset, leader
// epoch), whether the partition's last leader still holds it, and how often each group processed
// it; filters for the lost, duplicated, never processed, skipped and reordered ones. Clicking a
// record's time moves the cursor there.
(function () {
  const { el, time } = Report;
  const FLAGS = [
    ["lost", "lost: acknowledged, then gone from the last leader's log"],
    ["duplicated", "duplicated: a group processed it twice or more"],
    ["never", "never processed by a group that reads its topic"],
    ["skipped", "skipped: never processed, though the group processed a later offset"],
    ["reordered", "reordered: an earlier send of its producer to the partition landed after it"],
  ];
  const PAGE = 50;  // rows at a time: each has a link, and Tab must still get through the page

  function totalsTable(f) {
    const table = el("table", { "data-field": "fate-totals" });
    const head = el("tr");
    for (const h of ["", "acknowledged", "survived", "lost", "unknown"].concat(f.groups.map(g => "group " + g + ": once / more / never")))
      head.appendChild(el("th", { scope: "col" }, h));
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    const row = (label, t, attrs) => {
      const tr = el("tr", attrs);
      tr.appendChild(el("th", { scope: "row" }, label));
      for (const n of [t.acked, t.survived, t.lost, t.unknown]) tr.appendChild(el("td", { class: "n" }, n));
      t.groups.forEach(g => tr.appendChild(el("td", { class: "n" }, g.once + " / " + g.more + " / " + g.never)));
      body.appendChild(tr);
    };
    row("all partitions", f.total, { "data-partition": "" });
    for (const p of f.partitions) row(p.name + (p.leader ? " (last leader " + p.leader + ")" : ""), p, { "data-partition": p.name });
    return table;
  }

  function render(section) {
    const f = Report.block("fates");
    if (!f) { section.appendChild(el("p", {}, "This report holds no record fates.")); return; }
    section.appendChild(el("p", {}, "Each acknowledged record: where it landed, whether it survived (the partition's last leader holds its " +
      "offset in the leader epoch it was written in), and how often each group processed it. The counts are whole."));
    section.appendChild(totalsTable(f));

    const active = new Set();
    let query = "";
    const bar = el("div", { class: "fate-filters", role: "group", "aria-label": "Filters" });
    for (const [name, label] of FLAGS) {
      const n = f.flag_counts[name] || 0;
      const b = el("button", { type: "button", "data-filter": name, "aria-pressed": "false", title: label }, name + " (" + n + ")");
      b.addEventListener("click", () => {
        if (active.has(name)) active.delete(name); else active.add(name);
        b.setAttribute("aria-pressed", active.has(name) ? "true" : "false");
        draw();
      });
      bar.appendChild(b);
    }
    const search = el("input", { type: "search", "data-filter": "text", placeholder: "key or value", "aria-label": "Search keys and values" });
    search.addEventListener("input", () => { query = search.value; draw(); });
    // Other views (an anomaly) open the list at one record by its value or key.
    Report.findRecord = text => {
      search.value = text;
      query = text;
      for (const b of bar.querySelectorAll("button[data-filter]")) b.setAttribute("aria-pressed", "false");
      active.clear();
      draw();
      Report.show("fates");
    };
    bar.appendChild(search);
    section.appendChild(bar);
    const listed = f.records.length;
    const total = f.total.acked;
    if (listed < total)
      section.appendChild(el("p", { class: "summarised-note" }, "Listed: " + listed + " of " + total + " records: every flagged record up to " +
        f.listed_per_flag + " per flag, and the first " + f.listed_per_flag + " of the rest."));
    const status = el("p", { "data-field": "fate-shown", "aria-live": "polite" });
    section.appendChild(status);
    const table = el("table", { class: "fates" });
    const head = el("tr");
    for (const h of ["partition", "offset", "epoch", "key", "value", "producer", "acknowledged", "fate"].concat(f.groups.map(g => "by " + g), ["flags"]))
      head.appendChild(el("th", { scope: "col" }, h));
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    section.appendChild(table);
    const more = el("button", { type: "button", "data-more": "" }, "Show more");
    section.appendChild(more);
    let shown = PAGE;
    more.addEventListener("click", () => { shown += PAGE; draw(); });

    function matches(r) {
      for (const name of active) if (!r.flags.includes(name)) return false;
      if (query === "") return true;
      return (r.key !== null && r.key.includes(query)) || (r.value !== null && r.value.includes(query));
    }
    function draw() {
      body.textContent = "";
      const rows = f.records.filter(matches);
      for (const r of rows.slice(0, shown)) {
        const tr = el("tr", { "data-record-fate": "", "data-partition": r.partition, "data-offset": r.offset, "data-fate": r.fate,
                              "data-flags": r.flags.join(" ") });
        tr.appendChild(el("td", {}, r.partition));
        tr.appendChild(el("td", { class: "n" }, r.offset));
        tr.appendChild(el("td", { class: "n" }, r.epoch));
        tr.appendChild(el("td", {}, r.key === null ? "(not kept)" : r.key));
        tr.appendChild(el("td", {}, r.value === null ? "(not kept)" : r.value));
        tr.appendChild(el("td", {}, r.producer));
        const when = el("td");
        const link = el("a", { href: "#fates", title: "move the cursor to the acknowledgement" }, time(r.acked_ns));
        link.addEventListener("click", e => { e.preventDefault(); Report.setCursor(r.acked_ns); });
        when.appendChild(link);
        tr.appendChild(when);
        tr.appendChild(el("td", { class: "fate-" + r.fate }, r.fate === "lost" ? "✗ lost" : r.fate === "survived" ? "✓ survived" : "? unknown"));
        for (const c of r.processed) tr.appendChild(el("td", { class: "n" }, c === null ? "–" : c + "×"));
        tr.appendChild(el("td", {}, r.flags.join(", ")));
        body.appendChild(tr);
      }
      status.textContent = "Showing " + Math.min(shown, rows.length) + " of " + rows.length + " listed records" +
        (active.size > 0 ? " that are " + Array.from(active).join(" and ") : "") + (query ? " matching \u201c" + query + "\u201d" : "") + ".";
      more.hidden = rows.length <= shown;
    }
    draw();
  }

  Report.view({ name: "fates", key: "6", title: "Record fates", render });
})();
