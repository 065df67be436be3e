// 8 Compare: two runs of one scenario with one setting changed (acks=1 and acks=all, eager and
// cooperative, auto-commit and exactly_once_v2), side by side: what their configurations set
// differently, each expectation's verdict, the counts and what became of the records. Shown
// only in a report made of two traces (kafkasim report A.jsonl B.jsonl); every other view
// shows run A, and the time axis shows both.
(function () {
  const { data, el } = Report;
  if (!data.compare) return;
  const runs = [data, data.compare];

  function table(fieldName, headers, rows) {
    const t = el("table", { "data-field": fieldName });
    const head = el("tr");
    for (const h of headers) head.appendChild(el("th", { scope: "col" }, h));
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    for (const r of rows) {
      const tr = el("tr", r.attrs || {});
      r.cells.forEach((c, i) => tr.appendChild(el("td", i === 0 ? {} : { "data-run": i === 1 ? "A" : i === 2 ? "B" : "diff", class: r.numeric ? "n" : "" }, c)));
      if (r.changed) tr.classList.add("changed");
      body.appendChild(tr);
    }
    return t;
  }

  function identity(section) {
    const dl = el("dl", { class: "identity" });
    ["A", "B"].forEach((name, i) => {
      const r = runs[i];
      dl.appendChild(el("dt", {}, "Run " + name));
      dl.appendChild(el("dd", { "data-field": "compare-run-" + name },
        (r.scenario.name || "(unnamed)") + ", seed " + r.scenario.seed + ", Kafka " + r.scenario.kafka_version + ": " +
        (r.result || "result not known")));
    });
    section.appendChild(dl);
    if (runs[0].scenario.name !== runs[1].scenario.name)
      section.appendChild(el("p", { class: "warning" }, "The two runs are of different scenarios: the comparison may mean little."));
  }

  // Each key either run changed from Kafka's defaults, where the runs differ.
  function config(section) {
    const value = (r, key) => {
      const c = (r.config || []).find(x => x.entity + "\u0000" + x.key === key);
      return c ? c.value + (c.set ? "" : " (follows)") : null;
    };
    const keys = new Map();
    for (const r of runs) for (const c of r.config || []) keys.set(c.entity + "\u0000" + c.key, c);
    const rows = [];
    for (const [key, c] of keys) {
      const a = value(runs[0], key), b = value(runs[1], key);
      if (a === b) continue;
      rows.push({ attrs: { "data-config-key": c.key }, changed: true,
                  cells: [c.entity + ": " + c.key, a === null ? "default (" + c.default + ")" : a, b === null ? "default (" + c.default + ")" : b] });
    }
    section.appendChild(el("h2", {}, "What the two runs set differently"));
    if (rows.length === 0) section.appendChild(el("p", { "data-field": "compare-config" }, "Their configurations do not differ (the difference is elsewhere: the scenario, the seed or the version)."));
    else section.appendChild(table("compare-config", ["Key", "Run A", "Run B"], rows));
  }

  function checks(section) {
    const names = [];
    for (const r of runs) for (const c of r.checks) if (!names.includes(c.name)) names.push(c.name);
    const verdict = (r, name) => {
      const c = r.checks.find(x => x.name === name);
      return !c ? "(not declared)" : !c.judged ? "not judged" : c.held ? "held" : "VIOLATED";
    };
    section.appendChild(el("h2", {}, "Expectations"));
    section.appendChild(table("compare-checks", ["Expectation", "Run A", "Run B"],
      names.map(n => ({ attrs: { "data-check-name": n }, changed: verdict(runs[0], n) !== verdict(runs[1], n), cells: [n, verdict(runs[0], n), verdict(runs[1], n)] }))));
  }

  function counts(section) {
    const labels = [];
    for (const r of runs) for (const c of r.counts) if (!labels.includes(c.label)) labels.push(c.label);
    const fates = runs.map(r => (r.views || {}).fates);
    const rows = labels.map(label => {
      const v = runs.map(r => (r.counts.find(c => c.label === label) || { value: 0 }).value);
      return { attrs: { "data-label": label }, numeric: true, changed: v[0] !== v[1], cells: [label, v[0], v[1], signed(v[1] - v[0])] };
    });
    if (fates[0] && fates[1]) {
      for (const k of ["survived", "lost"]) {
        const v = fates.map(f => f.total[k]);
        rows.push({ attrs: { "data-label": "records " + k }, numeric: true, changed: v[0] !== v[1], cells: ["records " + k, v[0], v[1], signed(v[1] - v[0])] });
      }
      const groups = [...new Set(fates.flatMap(f => f.groups))];
      for (const g of groups) {
        for (const k of ["once", "more", "never"]) {
          const v = fates.map(f => { const i = f.groups.indexOf(g); return i < 0 ? 0 : f.total.groups[i][k]; });
          const label = "group " + g + " processed " + (k === "more" ? "more than once" : k);
          rows.push({ attrs: { "data-label": label }, numeric: true, changed: v[0] !== v[1], cells: [label, v[0], v[1], signed(v[1] - v[0])] });
        }
      }
    }
    section.appendChild(el("h2", {}, "Counts"));
    section.appendChild(table("compare-counts", ["What", "Run A", "Run B", "B − A"], rows));
  }

  const signed = n => (n > 0 ? "+" : "") + n;

  Report.view({
    name: "compare", key: "8", title: "Compare A and B",
    render(section) {
      section.appendChild(el("p", {}, "Two runs on one time axis (A's lanes above B's). The other views show run A; rows that differ are marked."));
      identity(section);
      config(section);
      checks(section);
      counts(section);
    },
  });
})();
