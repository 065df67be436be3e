// Keyboard navigation between a report's views, as a person without a mouse would do it:
// Tab until the view's nav link has focus, Enter, and the view must then be the location's
// hash and be on screen. A screenshot of each view is taken once it is shown.

const MAX_TABS = 200;

async function focusLink(page, name) {
  for (let i = 0; i < MAX_TABS; i++) {
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-view-link'));
    if (focused === name) return true;
    await page.keyboard.press('Tab');
  }
  return false;
}

// The view is shown: visible (not hidden, not display:none) and at least partly in the viewport.
function viewOnScreen(name) {
  const s = document.querySelector(`section[data-view="${name}"]`);
  if (!s || s.hidden || s.getClientRects().length === 0) return false;
  const r = s.getBoundingClientRect();
  return r.height > 0 && r.top < window.innerHeight && r.bottom > 0;
}

export async function visitByKeyboard(page, names, shotPath) {
  const problems = [];
  // Twice through the views, so that each is reached from another one, not only from the start.
  for (const name of [...names, ...names]) {
    if (!await focusLink(page, name)) {
      problems.push(`Tab never reaches the nav link of view ${name}`);
      continue;
    }
    await page.keyboard.press('Enter');
    try {
      await page.waitForFunction(n => location.hash === '#' + n, name, { timeout: 2000 });
      await page.waitForFunction(viewOnScreen, name, { timeout: 2000 });
    } catch {
      problems.push(`Enter on the nav link of view ${name} does not show it (hash ${await page.evaluate(() => location.hash)})`);
      continue;
    }
    await page.screenshot({ path: shotPath(name), fullPage: true });
  }
  return problems;
}
