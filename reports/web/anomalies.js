// 7 Anomalies: each anomaly the checker found, with its evidence and its explanation.
(function () {
  const { data, el } = Report;
  Report.view({
    name: "anomalies", key: "7", title: "Anomalies",
    render() {
      const list = document.getElementById("anomaly-list");
      if (!data.has_check_result) list.appendChild(el("p", {}, "Not known: the report was made without the run's check result (--check)."));
      else if (data.anomalies.length === 0) list.appendChild(el("p", {}, "No anomalies."));
      for (const a of data.anomalies) {
        const d = el("div", { "data-anomaly": "", "data-kind": a.kind });
        d.appendChild(el("h2", {}, a.kind + (a.key ? " on " + a.key : "") + (a.allowed ? " (allowed)" : "")));
        if (a.detail) d.appendChild(el("p", { class: "detail" }, a.detail));
        d.appendChild(el("p", { class: "why" }, a.explanation ? "Why: " + a.explanation : "No explanation from the trace."));
        // The record it is about, when its evidence names a value: a link into Record fates.
        const value = /\bvalue (\S+)/.exec(a.detail || "");
        if (value && Report.findRecord) {
          const p = el("p", { class: "journey-links" });
          const link = el("a", { href: "#fates", "data-anomaly-record": value[1] }, "See " + value[1] + " in Record fates");
          link.addEventListener("click", e => { e.preventDefault(); Report.findRecord(value[1]); });
          p.append(link);
          // The moment it is about: the record's acknowledgement, in the views that show a state.
          const r = Report.recordByValue && Report.recordByValue(value[1]);
          if (r) {
            for (const [view, label] of [["logs", "the replica logs"], ["messages", "the messages"]]) {
              if (!Report.views.some(v => v.name === view)) continue;
              const a = el("a", { href: "#" + view, "data-anomaly-moment": view }, "at its acknowledgement (" + Report.time(r.acked_ns) + "): " + label);
              a.addEventListener("click", e => { e.preventDefault(); Report.show(view, r.acked_ns); });
              p.append(" · ", a);
            }
          }
          d.appendChild(p);
        }
        list.appendChild(d);
      }
    },
  });
})();
