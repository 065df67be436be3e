// The checks of a rendered report's DOM against the contract in docs/report.md ("Testing the
// report"). Each function runs inside the page (page.evaluate) and returns a list of problems;
// an empty list means the view holds what the contract promises.

// The views this increment renders; a report may have more (logs, messages, ...) later.
export const REQUIRED_VIEWS = ['summary', 'anomalies'];

// Nav and sections: one link per view, each pointing at its section.
export function checkNav() {
  const problems = [];
  const nav = document.querySelector('nav#views');
  if (!nav) return ['no nav#views'];
  const sections = Array.from(document.querySelectorAll('section[data-view]')).map(s => s.dataset.view);
  const links = Array.from(nav.querySelectorAll('a[data-view-link]'));
  for (const name of sections) {
    const link = links.find(a => a.dataset.viewLink === name);
    if (!link) problems.push(`view ${name} has no a[data-view-link] in nav#views`);
    else if (link.getAttribute('href') !== '#' + name) problems.push(`link to ${name} has href ${link.getAttribute('href')}`);
  }
  for (const a of links) {
    if (!sections.includes(a.dataset.viewLink)) problems.push(`nav link ${a.dataset.viewLink} has no section`);
  }
  return problems;
}

// Summary: name, seed, replay line, description, one [data-check] per expectation, counts.
export function checkSummary() {
  const problems = [];
  const view = document.querySelector('section[data-view="summary"]');
  if (!view) return ['no summary view'];
  for (const name of ['scenario-name', 'seed', 'replay']) {
    const f = view.querySelector(`[data-field="${name}"]`);
    if (!f) problems.push(`summary has no [data-field="${name}"]`);
    else if (f.textContent.trim() === '') problems.push(`summary's ${name} is empty`);
  }
  if (!view.querySelector('[data-field="description"]')) problems.push('summary has no description field');
  const checks = Array.from(view.querySelectorAll('[data-check]'));
  if (checks.length === 0) problems.push('summary has no [data-check]');
  for (const [i, c] of checks.entries()) {
    const held = c.getAttribute('data-held');
    if (held !== 'true' && held !== 'false') problems.push(`check ${i} has data-held="${held}"`);
    if (c.textContent.trim() === '') problems.push(`check ${i} has no text`);
  }
  const counts = view.querySelector('[data-field="counts"]');
  const table = counts && (counts.matches('table') ? counts : counts.querySelector('table'));
  if (!table) problems.push('summary has no counts table');
  else if (table.querySelectorAll('td').length === 0) problems.push('counts table has no cells');
  return problems;
}

// The time axis: fault bands with a known kind and an ordered interval, notes with a time.
export function checkTimeline() {
  const kinds = ['crash', 'shutdown', 'partition', 'isolation', 'pause', 'slow-network', 'slow-disk'];
  const problems = [];
  const timeline = document.getElementById('timeline');
  if (!timeline) return ['no #timeline'];
  const isNs = v => v !== null && /^[0-9]+$/.test(v);
  for (const [i, f] of Array.from(timeline.querySelectorAll('[data-fault]')).entries()) {
    const start = f.getAttribute('data-start-ns'), end = f.getAttribute('data-end-ns');
    if (!kinds.includes(f.getAttribute('data-kind'))) problems.push(`fault ${i} has kind ${f.getAttribute('data-kind')}`);
    if (!isNs(start) || !isNs(end)) problems.push(`fault ${i} has start ${start}, end ${end}`);
    else if (BigInt(start) > BigInt(end)) problems.push(`fault ${i} ends (${end}) before it starts (${start})`);
  }
  for (const [i, n] of Array.from(timeline.querySelectorAll('[data-note]')).entries()) {
    if (!isNs(n.getAttribute('data-time-ns'))) problems.push(`note ${i} has time ${n.getAttribute('data-time-ns')}`);
  }
  return problems;
}

// Anomalies: each with a kind and its explanation as text.
export function checkAnomalies() {
  const problems = [];
  const view = document.querySelector('section[data-view="anomalies"]');
  if (!view) return ['no anomalies view'];
  for (const [i, a] of Array.from(view.querySelectorAll('[data-anomaly]')).entries()) {
    if (!a.getAttribute('data-kind')) problems.push(`anomaly ${i} has no data-kind`);
    if (a.textContent.trim() === '') problems.push(`anomaly ${i} has no explanation`);
  }
  return problems;
}

// Compare (a report of two runs): both runs named, and the tables of what differs.
export function checkCompare() {
  const view = document.querySelector('section[data-view="compare"]');
  if (!view) return [];
  const problems = [];
  for (const run of ['A', 'B']) {
    const f = view.querySelector(`[data-field="compare-run-${run}"]`);
    if (!f || f.textContent.trim() === '') problems.push(`compare names no run ${run}`);
  }
  for (const name of ['compare-config', 'compare-checks', 'compare-counts']) {
    if (!view.querySelector(`[data-field="${name}"]`)) problems.push(`compare has no [data-field="${name}"]`);
  }
  const counts = view.querySelectorAll('[data-field="compare-counts"] tr[data-label]');
  if (counts.length === 0) problems.push('compare has no counts');
  for (const tr of counts) {
    if (tr.querySelectorAll('td[data-run="A"], td[data-run="B"]').length !== 2) problems.push(`compare row ${tr.dataset.label} lacks a run's cell`);
  }
  if (document.querySelectorAll('#timeline [data-run="B"]').length === 0) problems.push('the time axis shows nothing of run B');
  return problems;
}

// Consumer groups: each group's member lanes; each assignment segment with its generation, its
// partitions and an ordered interval; each rebalance pause of a known kind; each commit ok or not.
export function checkGroups() {
  const problems = [];
  const view = document.querySelector('section[data-view="groups"]');
  if (!view) return ['no groups view'];
  const isNs = v => v !== null && /^[0-9]+$/.test(v);
  const interval = (what, e) => {
    const start = e.getAttribute('data-start-ns'), end = e.getAttribute('data-end-ns');
    if (!isNs(start) || !isNs(end)) problems.push(`${what} has start ${start}, end ${end}`);
    else if (BigInt(start) > BigInt(end)) problems.push(`${what} ends (${end}) before it starts (${start})`);
  };
  for (const g of view.querySelectorAll('[data-group]')) {
    const id = g.getAttribute('data-group');
    if (g.querySelectorAll('[data-member]').length === 0) problems.push(`group ${id} has no [data-member] lane`);
    for (const [i, a] of Array.from(g.querySelectorAll('[data-assignment]')).entries()) {
      if (!/^-?[0-9]+$/.test(a.getAttribute('data-generation') || '')) problems.push(`group ${id} assignment ${i} has no generation`);
      if (!a.getAttribute('data-partitions')) problems.push(`group ${id} assignment ${i} has no partitions`);
      interval(`group ${id} assignment ${i}`, a);
    }
    for (const [i, p] of Array.from(g.querySelectorAll('[data-rebalance-pause]')).entries()) {
      if (!['eager', 'cooperative'].includes(p.getAttribute('data-kind'))) problems.push(`group ${id} pause ${i} has kind ${p.getAttribute('data-kind')}`);
      interval(`group ${id} pause ${i}`, p);
    }
    for (const [i, c] of Array.from(g.querySelectorAll('[data-commit]')).entries()) {
      if (!['true', 'false'].includes(c.getAttribute('data-ok'))) problems.push(`group ${id} commit ${i} has data-ok ${c.getAttribute('data-ok')}`);
    }
  }
  return problems;
}

// Charts: one [data-chart] per series, each holding uPlot's canvas with a size; or, when the
// report was built without uPlot, the sentence saying so (a failure when uPlot is required).
export function checkCharts(requireUplot) {
  const problems = [];
  const view = document.querySelector('section[data-view="charts"]');
  if (!view) return ['no charts view'];
  if (view.querySelector('[data-charts-missing]')) return requireUplot ? ['the charts view says uPlot is missing, but it is installed'] : [];
  for (const name of ['produce', 'consume', 'lag', 'unseen', 'latency']) {
    const chart = view.querySelector(`[data-chart="${name}"]`);
    const canvas = chart && chart.querySelector('canvas');
    if (!chart) problems.push(`no [data-chart="${name}"]`);
    else if (!canvas) problems.push(`chart ${name} has no canvas`);
    else if (canvas.width === 0 || canvas.height === 0) problems.push(`chart ${name}'s canvas is ${canvas.width}x${canvas.height}`);
  }
  return problems;
}

// What a report holds, for comparison with what the test expects of it.
export function census() {
  const all = sel => Array.from(document.querySelectorAll(sel));
  return {
    checksHeld: all('[data-check][data-held="true"]').length,
    checksViolated: all('[data-check][data-held="false"]').length,
    faultKinds: all('#timeline [data-fault]').map(f => f.getAttribute('data-kind')),
    notes: all('#timeline [data-note]').length,
    anomalyKinds: all('[data-anomaly]').map(a => a.getAttribute('data-kind')),
    groups: all('[data-group]').length,
    pauseKinds: [...new Set(all('[data-rebalance-pause]').map(p => p.getAttribute('data-kind')))],
    failedCommits: all('[data-commit][data-ok="false"]').length,
    charts: all('[data-chart] canvas').length,
  };
}

// Nothing a user string could have injected: no script ran (window.__pwned), no element carries
// an event handler attribute or is of a kind the report never builds, every script is one of the
// file's own, and no element points anywhere but into the page (a fragment) or at a data: URL.
export function checkNoInjection(ownScripts) {
  const problems = [];
  if (window.__pwned !== undefined) problems.push(`window.__pwned is ${String(window.__pwned)}: a user string ran as script`);
  for (const e of document.querySelectorAll('*')) {
    for (const attr of e.getAttributeNames()) {
      if (attr.startsWith('on')) problems.push(`<${e.localName}> has event handler attribute ${attr}`);
    }
  }
  for (const tag of ['img', 'iframe', 'object', 'embed', 'base', 'form', 'video', 'audio']) {
    const n = document.querySelectorAll(tag).length;
    if (n > 0) problems.push(`${n} <${tag}> element(s) in the page`);
  }
  const scripts = document.querySelectorAll('script').length;
  if (scripts !== ownScripts) problems.push(`${scripts} <script> elements, the file has ${ownScripts}`);
  for (const e of document.querySelectorAll('[src], [href], [srcset], [poster], [action], [xlink\\:href]')) {
    for (const attr of ['src', 'href', 'srcset', 'poster', 'action', 'xlink:href']) {
      const v = e.getAttribute(attr);
      if (v !== null && !v.startsWith('#') && !v.startsWith('data:')) {
        problems.push(`<${e.localName} ${attr}="${v}"> points outside the page`);
      }
    }
  }
  return problems;
}

// Replica logs (docs/report.md, "2 Replica logs"): the controls, and at the end of the run each
// partition's replicas with a numeric LEO, the leader's HW, and records with an offset, a
// producer and a fate. The cursor is put back where it was.
export function checkLogs() {
  const view = document.querySelector('section[data-view="logs"]');
  if (!view) return [];
  const problems = [];
  for (const c of ['[data-step="prev"]', '[data-step="next"]', 'input[type=range][data-scrub]', '[data-play]']) {
    if (!view.querySelector(c)) problems.push(`logs view has no ${c}`);
  }
  const block = Report.block('logs');
  if (!block || block.partitions.length === 0) return problems;
  const was = Report.cursor();
  Report.setCursor(Report.end);
  const isInt = v => v !== null && /^-?[0-9]+$/.test(v);
  const parts = Array.from(view.querySelectorAll('[data-partition]'));
  if (parts.length === 0) problems.push('logs view shows no [data-partition]');
  for (const part of parts) {
    const name = part.dataset.partition;
    const replicas = Array.from(part.querySelectorAll('[data-replica]'));
    if (replicas.length === 0) problems.push(`logs ${name}: no [data-replica] at the end`);
    for (const r of replicas) {
      const who = `logs ${name} replica ${r.dataset.replica}`;
      if (!isInt(r.getAttribute('data-leo'))) problems.push(`${who}: data-leo ${r.getAttribute('data-leo')}`);
      const leader = r.getAttribute('data-leader');
      if (leader !== 'true' && leader !== 'false') problems.push(`${who}: data-leader ${leader}`);
      if (leader === 'true' && !isInt(r.getAttribute('data-hw'))) problems.push(`${who}: the leader has data-hw ${r.getAttribute('data-hw')}`);
      if (!r.querySelector('[data-marker="leo"]')) problems.push(`${who}: no LEO marker`);
      for (const rec of r.querySelectorAll('[data-record]')) {
        if (!isInt(rec.getAttribute('data-offset')) || !isInt(rec.getAttribute('data-producer')) ||
            !['kept', 'truncated', 'lost'].includes(rec.getAttribute('data-fate'))) {
          problems.push(`${who}: a record with offset ${rec.getAttribute('data-offset')}, producer ${rec.getAttribute('data-producer')}, fate ${rec.getAttribute('data-fate')}`);
          break;
        }
      }
    }
    for (const m of part.querySelectorAll('[data-marker="commit"]')) {
      if (!m.getAttribute('data-group')) problems.push(`logs ${name}: a commit marker without data-group`);
    }
  }
  Report.setCursor(was);
  return problems;
}

// Stepping through a run where a replica truncates (scenarios/teaching/01_acks_leader_crash.lua, seed 1):
// from the start, "next change" until the end; the leader's HW marker must move between steps,
// and some step must remove a record a replica held (its LEO falls below a record it showed).
// Leaves the cursor at the first truncation, for the screenshot; backwards, "previous change"
// must show the record again.
export function checkLogsStepping() {
  const view = document.querySelector('section[data-view="logs"]');
  if (!view) return ['no logs view'];
  const next = view.querySelector('[data-step="next"]'), prev = view.querySelector('[data-step="prev"]');
  const snapshot = () => Array.from(view.querySelectorAll('[data-partition] [data-replica]')).map(r => ({
    key: r.closest('[data-partition]').dataset.partition + '/' + r.dataset.replica,
    leo: Number(r.dataset.leo),
    top: Math.max(-1, ...Array.from(r.querySelectorAll('[data-record]')).map(x => Number(x.dataset.offset) + Number(x.dataset.count) - 1)),
    hw: r.dataset.leader === 'true' ? r.querySelector('[data-marker="hw"]')?.dataset.offset : undefined,
  }));
  Report.setCursor(0);
  let hwMoves = 0;  // steps where a leader's HW marker moved while it stayed the leader
  let before = snapshot(), truncatedAt, truncatedKey, steps = 0;
  for (; steps < 50000; steps++) {
    const t = Report.cursor();
    next.click();
    if (Report.cursor() === t) break;
    const after = snapshot();
    for (const b of before) {
      const a = after.find(x => x.key === b.key);
      if (a && a.hw !== undefined && b.hw !== undefined && a.hw !== b.hw) ++hwMoves;
      if (truncatedAt === undefined && a && a.leo <= b.top) { truncatedAt = Report.cursor(); truncatedKey = b.key; }
    }
    before = after;
  }
  const problems = [];
  if (steps < 2) problems.push(`logs: "next change" moved the cursor ${steps} times`);
  // (a leader's HW is set once when it takes over: a few moves may be that alone)
  if (hwMoves < 10) problems.push(`logs: a leader's HW marker moved only ${hwMoves} times between steps`);
  if (truncatedAt === undefined) problems.push('logs: no step removed a record a replica held (no truncation shown)');
  else {
    Report.setCursor(truncatedAt);
    const at = snapshot().find(x => x.key === truncatedKey);
    prev.click();
    const back = snapshot().find(x => x.key === truncatedKey);
    if (!back || !at || back.top < at.leo) problems.push(`logs: "previous change" from the truncation does not bring the records of ${truncatedKey} back`);
    if (view.querySelectorAll('[data-fate="truncated"]').length === 0) problems.push('logs: before the truncation, no record is marked data-fate="truncated"');
    // A lost record's journey, opened from its strip (Enter: the run's first offset).
    const lost = view.querySelector('[data-record][data-fate="lost"]');
    if (!lost) problems.push('logs: before the truncation, no record is marked data-fate="lost"');
    else {
      lost.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      const panel = document.querySelector('section[data-view="fates"] [data-journey]');
      const says = `at offset ${lost.dataset.offset} in leader epoch ${lost.dataset.epoch}`;
      if (location.hash !== '#fates') problems.push(`logs: Enter on a record opened ${location.hash}, not #fates`);
      if (!panel || panel.hidden || !panel.textContent.includes(says) || panel.querySelector('[data-journey-fate="lost"]') === null)
        problems.push(`logs: Enter on a lost record did not open its journey (${says}, lost): ${panel ? panel.textContent.slice(0, 200) : 'no panel'}`);
      location.hash = '#logs';
    }
    Report.setCursor(truncatedAt);
  }
  return problems;
}
