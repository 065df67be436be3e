// The Record fates view, used as a reader would: each filter shows only records with its flag,
// the counts the filters show meet what the test expects of the run, and an anomaly's link to
// its record opens the list at that record.

const rowsOf = () => Array.from(document.querySelectorAll('section[data-view="fates"] [data-record-fate]'))
  .map(r => ({ flags: (r.getAttribute('data-flags') || '').split(' ').filter(Boolean), fate: r.getAttribute('data-fate'), text: r.textContent }));

// expect: { flag: at least this many } (e.g. {"lost": 21}).
export async function exerciseFates(page, expect) {
  const problems = [];
  if (await page.$('section[data-view="fates"]') === null) return problems;
  await page.evaluate(() => { location.hash = '#fates'; });
  const filters = await page.$$eval('section[data-view="fates"] button[data-filter]',
    bs => bs.map(b => ({ name: b.getAttribute('data-filter'), count: Number(/\((\d+)\)/.exec(b.textContent)?.[1] ?? NaN) })));
  if (filters.length === 0) problems.push('the fates view has no filter buttons');
  for (const { name, count } of filters) {
    const button = `section[data-view="fates"] button[data-filter="${name}"]`;
    await page.click(button);
    const rows = await page.evaluate(rowsOf);
    if (count > 0 && rows.length === 0) problems.push(`filter ${name} (${count}) shows no record`);
    const wrong = rows.filter(r => !r.flags.includes(name));
    if (wrong.length > 0) problems.push(`filter ${name} shows ${wrong.length} records without the flag`);
    if (name === 'lost' && rows.some(r => r.fate !== 'lost')) problems.push('filter lost shows a record that survived');
    if (await page.getAttribute(button, 'aria-pressed') !== 'true') problems.push(`filter ${name} is not pressed after a click`);
    await page.click(button);
    if (expect && expect[name] !== undefined && !(count >= expect[name])) problems.push(`${name}: expected at least ${expect[name]}, the filter says ${count}`);
  }
  // A record's journey: its panel names it and its fate, and its link to the Replica logs moves
  // the cursor to its acknowledgement.
  const first = await page.$('section[data-view="fates"] [data-record-fate] [data-journey-link]');
  if (first !== null) {
    const row = await first.evaluate(a => { const tr = a.closest('tr'); return { fate: tr.dataset.fate, text: tr.children[4].textContent }; });
    await first.click();
    const panel = await page.evaluate(() => { const p = document.querySelector('[data-journey]'); return p && !p.hidden ? p.textContent : null; });
    if (panel === null) problems.push('a record\'s journey link opens no journey');
    else if (!panel.includes(row.text) || !panel.includes(row.fate)) problems.push(`the journey of ${row.text} does not name it and its fate (${row.fate})`);
    const go = await page.$('[data-journey] [data-journey-go="logs"]');
    if (go !== null) {
      const cursor = await page.evaluate(() => document.getElementById('cursor').getAttribute('data-time-ns'));
      await go.click();
      const after = await page.evaluate(() => ({ hash: location.hash, cursor: document.getElementById('cursor').getAttribute('data-time-ns') }));
      if (after.hash !== '#logs' || after.cursor !== cursor) problems.push(`the journey's Replica logs link opens ${after.hash} at ${after.cursor}, not #logs at ${cursor}`);
      await page.evaluate(() => { location.hash = '#fates'; });
    }
  }
  const moment = await page.$('[data-anomaly-moment="logs"]');
  if (moment !== null) {
    await page.evaluate(() => { location.hash = '#anomalies'; });
    await moment.click();
    const hash = await page.evaluate(() => location.hash);
    if (hash !== '#logs') problems.push(`an anomaly's moment link opens ${hash}, not #logs`);
  }
  const link = await page.$('[data-anomaly-record]');
  if (link !== null) {
    const value = await link.getAttribute('data-anomaly-record');
    await page.evaluate(() => { location.hash = '#anomalies'; });
    await link.click();
    const hash = await page.evaluate(() => location.hash);
    if (hash !== '#fates') problems.push(`an anomaly's record link opens ${hash}, not #fates`);
    const rows = await page.evaluate(rowsOf);
    if (rows.length === 0 || !rows[0].text.includes(value)) problems.push(`an anomaly's record link does not list ${value} first`);
  }
  await page.evaluate(() => { location.hash = '#summary'; });
  return problems;
}
