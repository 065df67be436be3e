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
      const r = f.records.find(x => x.value === text);
      if (r) journey(r); else panel.hidden = true;  // the journey shown is the record's
      Report.show("fates");
    };
    bar.appendChild(search);
    section.appendChild(bar);
    const listed = f.records.length;
    const total = f.total.acked;
    if (listed < total)
      section.appendChild(el("p", { class: "summarised-note" }, "Listed: " + listed + " of " + total + " records: every flagged record up to " +
        f.listed_per_flag + " per flag, and the first " + f.listed_per_flag + " of the rest."));
    // A record's journey: from its send to its fate, with links to the moments in the other views.
    const panel = el("div", { "data-journey": "", hidden: "", "aria-live": "polite" });
    section.appendChild(panel);
    function journey(r) {
      panel.hidden = false;
      panel.textContent = "";
      const name = (r.value === null ? "a record" : r.value) + (r.key ? " (key " + r.key + ")" : "");
      panel.appendChild(el("h2", {}, "The journey of " + name));
      const part = f.partitions.find(p => p.name === r.partition) || {};
      const steps = el("ol");
      steps.appendChild(el("li", {}, time(r.sent_ns) + ": " + r.producer + " sends it to " + r.partition + "."));
      steps.appendChild(el("li", {}, "The leader appends it at offset " + r.offset + " in leader epoch " + r.epoch + "."));
      steps.appendChild(el("li", {}, time(r.acked_ns) + ": " + r.producer + " is told it is written, " + time(r.acked_ns - r.sent_ns) + " after the send."));
      steps.appendChild(el("li", { "data-journey-fate": r.fate }, r.fate === "survived"
        ? "At the end the partition's last leader" + (part.leader ? " (" + part.leader + ")" : "") + " holds offset " + r.offset + " in epoch " + r.epoch + ": it survived."
        : r.fate === "lost" ? "At the end the partition's last leader" + (part.leader ? " (" + part.leader + ")" : "") + " does not hold offset " + r.offset +
          " in epoch " + r.epoch + ": it was lost (Replica logs shows the truncation)."
        : "No leader of the partition was known: its fate is unknown."));
      f.groups.forEach((g, i) => {
        const c = r.processed[i];
        if (c !== null) steps.appendChild(el("li", {}, "Group " + g + " processed it " + (c === 0 ? "never" : c === 1 ? "once" : c + " times") + "."));
      });
      panel.appendChild(steps);
      const links = el("p", { class: "journey-links" });
      const go = (label, view, ns) => {
        const a = el("a", { href: "#" + view, "data-journey-go": view }, label);
        a.addEventListener("click", e => { e.preventDefault(); Report.show(view, ns); });
        links.append(a, " ");
      };
      if (Report.views.some(v => v.name === "logs")) go("Replica logs at the acknowledgement", "logs", r.acked_ns);
      if (Report.views.some(v => v.name === "messages")) go("Messages at the send", "messages", r.sent_ns);
      panel.appendChild(links);
    }
    Report.journey = journey;
    // Other views (a record in the Replica logs) open its journey by where it landed; false
    // when the list does not hold it.
    Report.openRecord = (partition, offset, epoch) => {
      const r = f.records.find(x => x.partition === partition && x.offset === offset && x.epoch === epoch);
      if (!r) return false;
      Report.show("fates", r.acked_ns);
      journey(r);
      panel.scrollIntoView({ block: "nearest" });
      return true;
    };
    Report.recordByValue = value => f.records.find(r => r.value === value);

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
        const link = el("a", { href: "#fates", "data-journey-link": "", title: "its journey; the cursor to its acknowledgement" }, time(r.acked_ns));
        link.addEventListener("click", e => { e.preventDefault(); Report.setCursor(r.acked_ns); journey(r); });
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
