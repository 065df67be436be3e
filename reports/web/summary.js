// 1 Summary: the scenario, the verdicts with their why, the counts, the notes, and what the file
// summarises.
(function () {
  const { data, el, field, time, markdown } = Report;

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

  // What this run's configuration changes from Kafka's defaults for its version.
  function renderConfig() {
    const box = document.getElementById("config");
    const config = data.config || [];
    if (config.length === 0) {
      box.replaceChildren(el("p", {}, "This run changes nothing from Kafka " + data.scenario.kafka_version + "'s defaults."));
      return;
    }
    box.insertBefore(el("p", {}, "What this run changes from Kafka " + data.scenario.kafka_version + "'s defaults (a topic's: the brokers' values). " +
      "A key marked \u201cfollows\u201d was not set by the scenario: Kafka derived it from what was set."), box.firstChild);
    const tbody = field("config-changes").querySelector("tbody");
    for (const c of config) {
      const tr = el("tr", { "data-config-key": c.key, "data-set": c.set ? "true" : "false" });
      tr.appendChild(el("td", {}, c.entity));
      tr.appendChild(el("td")).appendChild(el("code", {}, c.key));
      tr.appendChild(el("td", {}, c.value + (c.set ? "" : " (follows)")));
      tr.appendChild(el("td", {}, c.default === "" ? "(none)" : c.default));
      tbody.appendChild(tr);
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

  // From the Record fates' counts: each group's once / more than once / never.
  function renderGroupCounts() {
    const f = Report.block("fates");
    if (!f || f.groups.length === 0) return;
    document.getElementById("group-counts").hidden = false;
    const tbody = field("group-counts").querySelector("tbody");
    f.groups.forEach((g, i) => {
      const c = f.total.groups[i];
      const tr = el("tr", { "data-group-count": g });
      tr.appendChild(el("td", {}, g));
      for (const n of [c.once, c.more, c.never]) tr.appendChild(el("td", { class: "n" }, n));
      tbody.appendChild(tr);
    });
  }

  Report.view({
    name: "summary", key: "1", title: "Summary",
    render() {
      renderIdentity();
      renderConfig();
      renderChecks();
      renderCounts();
      renderGroupCounts();
      renderNotes();
    },
  });
})();
