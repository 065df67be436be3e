// The Messages view, used as a reader would: the next-moment button moves the cursor to the
// first moment and the diagram then draws its messages as arrows between lanes; a dropped one
// says why. A screenshot of the diagram at that moment is written beside the others.

// expect: { dropped: at least this many dropped messages drawn at the first moment with one,
//          timeouts: at least this many request timeouts kept (each one kept is checked drawn) }.
export async function exerciseMessages(page, expect, shotPath) {
  const problems = [];
  if (await page.$('section[data-view="messages"] [data-moment="next"]') === null) return problems;
  await page.evaluate(() => { location.hash = '#messages'; });
  const moments = await page.$$eval('section[data-view="messages"] select[data-moments] option', o => o.length);
  if (moments === 0) return ['the messages view lists no moment'];
  let sawDropped = 0;
  let shot = false;
  for (let i = 0; i < Math.min(moments, 6); i++) {
    await page.click('section[data-view="messages"] [data-moment="next"]');
    const state = await page.evaluate(() => {
      const arrows = Array.from(document.querySelectorAll('section[data-view="messages"] svg [data-message]'));
      return {
        cursor: document.getElementById('cursor')?.getAttribute('data-time-ns'),
        selected: document.querySelector('section[data-view="messages"] select[data-moments]').selectedOptions[0]?.textContent,
        arrows: arrows.length,
        lanes: document.querySelectorAll('section[data-view="messages"] svg [data-lane]').length,
        dropped: arrows.filter(a => a.hasAttribute('data-dropped')).length,
        badLane: arrows.filter(a => !document.querySelector(`section[data-view="messages"] svg [data-lane="${CSS.escape(a.dataset.from)}"]`)).length,
      };
    });
    if (state.arrows === 0) continue;  // a moment whose window holds only messages kept for another
    if (state.lanes < 2) problems.push(`moment ${state.selected}: ${state.arrows} arrows on ${state.lanes} lanes`);
    if (state.badLane > 0) problems.push(`moment ${state.selected}: ${state.badLane} arrows from a node with no lane`);
    sawDropped = Math.max(sawDropped, state.dropped);
    if (!shot) {
      await page.screenshot({ path: shotPath, fullPage: true });
      shot = true;
    }
  }
  if (!shot) problems.push('no moment of the messages view draws a message');
  if (expect && expect.dropped !== undefined && sawDropped < expect.dropped)
    problems.push(`messages: expected at least ${expect.dropped} dropped messages at a moment, saw ${sawDropped}`);
  // Each request timeout the file keeps is drawn at its moment, on its producer's lane.
  const timeouts = await page.evaluate(() => {
    const d = Report.block('messages');
    const out = [];
    for (const t of (d.timeouts || []).slice(0, 3)) {
      Report.setCursor(t.time_ns);
      const marks = Array.from(document.querySelectorAll(`section[data-view="messages"] svg [data-timeout][data-time-ns="${t.time_ns}"]`));
      const mark = marks.find(m => m.dataset.node === d.nodes[t.node] && m.dataset.api === t.api);
      if (!mark) out.push(`no [data-timeout] drawn for ${d.nodes[t.node]}'s ${t.api} request ${t.correlation_id} at ${t.time_ns} ns`);
      else if (!mark.textContent.includes(`${t.api} request ${t.correlation_id}`) || !mark.textContent.includes('timed out'))
        out.push(`the timeout at ${t.time_ns} ns on ${mark.dataset.node} says "${mark.textContent}"`);
    }
    return { problems: out, count: (d.timeouts || []).length };
  });
  problems.push(...timeouts.problems);
  if (expect && expect.timeouts !== undefined && timeouts.count < expect.timeouts)
    problems.push(`messages: expected at least ${expect.timeouts} request timeouts, the file keeps ${timeouts.count}`);
  await page.click('section[data-view="messages"] [data-moment="prev"]');
  await page.evaluate(() => { location.hash = '#summary'; });
  return problems;
}
