// Screenshots of the teaching lessons' key views, for docs/teaching-guide.md: each report opened
// in Debian's chromium (headless, through playwright-core), the view shown, a moment chosen when
// the view shows a state (the cursor put at a note), and the top of the page (the time axis and
// the view) saved as a JPEG small enough to keep in the repository.
//
// node tests/browser/lesson_shots.mjs --modules DIR --out DIR SHOT...
//   SHOT  REPORT.html=NAME:VIEW[:NOTE]  writes NAME.jpg of VIEW, the cursor at note NOTE (1-based)
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = name => { const i = args.indexOf(name); if (i < 0 || i + 1 >= args.length) fail(`${name} is required`); return args.splice(i, 2)[1]; };
function fail(why) { console.error(`lesson_shots: ${why}`); process.exit(2); }
const modules = opt('--modules'), out = opt('--out');
const { chromium } = createRequire(path.join(path.resolve(modules), 'package.json'))('playwright-core');
fs.mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
let failed = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  for (const shot of args) {
    const m = /^(.*\.html)=([\w-]+):(\w+)(?::(\d+))?$/.exec(shot);
    if (!m) fail(`not a shot: ${shot}`);
    const [, report, name, view, note] = m;
    await page.goto(pathToFileURL(path.resolve(report)).href + '#' + view);
    await page.waitForSelector('body[data-report-ready="true"]', { state: 'attached', timeout: 15000 });
    if (note) {
      const at = await page.evaluate(n => {
        const marks = document.querySelectorAll('#timeline [data-note]');
        const mark = marks[n - 1];
        if (!mark) return null;
        mark.click();
        return mark.getAttribute('data-time-ns');
      }, Number(note));
      if (at === null) { console.error(`lesson_shots: ${name}: no note ${note}`); failed++; }
      await page.evaluate(v => { location.hash = '#' + v; }, view);
    }
    const shown = await page.evaluate(v => { const s = document.querySelector(`section[data-view="${v}"]`); return !!s && !s.hidden; }, view);
    if (!shown) { console.error(`lesson_shots: ${name}: no view ${view}`); failed++; continue; }
    await page.evaluate(() => window.scrollTo(0, 0));  // the time axis and the view's start
    const file = path.join(out, `${name}.jpg`);
    await page.screenshot({ path: file, type: 'jpeg', quality: 70 });
    console.log(`${file}`);
  }
} finally {
  await browser.close();
}
process.exit(failed === 0 ? 0 : 1);
