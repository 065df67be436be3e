// The Messages view, used as a reader would: the next-moment button moves the cursor to the
// first moment and the diagram then draws its messages as arrows between lanes; a dropped one
// says why. A screenshot of the diagram at that moment is written beside the others.

// expect: { dropped: at least this many dropped messages drawn at the first moment with one }.
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
  await page.click('section[data-view="messages"] [data-moment="prev"]');
  await page.evaluate(() => { location.hash = '#summary'; });
  return problems;
}
