// The report's browser test: opens one report HTML file from file:// in Debian's chromium
// (headless, through playwright-core), and fails on a console error, a page error, any request
// other than the file itself, a view missing what docs/report.md promises, a user string that
// became markup, or a view the keyboard cannot reach. Prints the time to interactive and writes
// a PNG of each view.
//
// node tests/browser/report_test.mjs --modules DIR --shots DIR [--expect FILE.json] [--text S]... REPORT.html
//   --modules  the folder whose node_modules holds playwright-core (scripts/setup: build/web)
//   --shots    where the screenshots go, as <report>-<view>.png
//   --expect   what this report holds: {"checksHeld", "checksViolated", "notes": counts;
//              "faultKinds", "anomalyKinds": lists, each kind at least once; "texts": strings
//              the page must show as text; "fates": {flag: at least this many records};
//              "compareDiffers": count labels that must differ between two compared runs;
//              "messages": {"dropped": at least this many dropped messages drawn at a moment}}
//   --text     one more string the page must show as text (repeatable)
//   --view     a view the report must have (repeatable), e.g. groups, charts
//   --pause-kind  a rebalance pause kind the groups view must show (repeatable): eager, cooperative
//   --uplot    uPlot is installed (scripts/setup): the charts must be drawn, not said to be missing
//   --step-logs  also step the Replica logs view through the run: its HW must move and a step
//              must truncate a record (a run with a truncation: teaching/01_acks_leader_crash.lua, seed 1)
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as views from './report_views.mjs';
import { visitByKeyboard } from './report_keyboard.mjs';
import { exerciseFates } from './report_fates.mjs';
import { exerciseMessages } from './report_messages.mjs';

const CHROMIUM = '/usr/bin/chromium';
const READY_TIMEOUT_MS = 15000;

function parseArgs(argv) {
  const opts = { texts: [], expect: {}, views: [], pauseKinds: [], uplot: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--modules') opts.modules = value();
    else if (a === '--shots') opts.shots = value();
    else if (a === '--expect') opts.expect = JSON.parse(fs.readFileSync(value(), 'utf8'));
    else if (a === '--text') opts.texts.push(value());
    else if (a === '--view') opts.views.push(value());
    else if (a === '--pause-kind') opts.pauseKinds.push(value());
    else if (a === '--uplot') opts.uplot = true;
    else if (a === '--step-logs') opts.stepLogs = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (opts.report) usage('one report at a time');
    else opts.report = path.resolve(a);
  }
  if (!opts.report || !opts.modules || !opts.shots) usage('a report, --modules and --shots are required');
  opts.texts.push(...(opts.expect.texts || []));
  return opts;
}

function usage(why) {
  console.error(`report_test: ${why}\n` +
    'usage: report_test.mjs --modules DIR --shots DIR [--expect FILE.json] [--text S]... REPORT.html');
  process.exit(2);
}

function loadPlaywright(modules) {
  const require = createRequire(path.join(path.resolve(modules), 'package.json'));
  try {
    return require('playwright-core');
  } catch (e) {
    console.error(`report_test: playwright-core is not installed under ${modules} (run scripts/setup): ${e.message}`);
    process.exit(1);
  }
}

// Every request is routed: the report itself is served, anything else fails the request and
// the test. A report must load nothing, not even from its own folder.
async function guardRequests(context, reportUrl, problems) {
  await context.route('**/*', route => {
    const url = route.request().url();
    if (url === reportUrl) return route.continue();
    problems.push(`request for ${url}`);
    return route.abort('blockedbyclient');
  });
}

function watchPage(page, reportUrl, problems) {
  page.on('console', m => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  page.on('request', r => { if (r.url() !== reportUrl) problems.push(`request for ${r.url()}`); });
  page.on('requestfailed', r => { if (r.url() === reportUrl) problems.push(`the report failed to load: ${r.failure()?.errorText}`); });
}

// Time to interactive: from the start of navigation to the moment the page's script sets
// body[data-report-ready=true], observed in the page itself.
function recordReadyTime() {
  new MutationObserver((_, observer) => {
    if (document.body && document.body.getAttribute('data-report-ready') === 'true') {
      window.__reportReadyMs = performance.now();
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-report-ready'] });
}

// The static checks: the file's own scripts (so the page can be told apart from injected ones),
// and no http(s) or protocol-relative URL in src, href or url() anywhere in its text.
function readReport(file, problems) {
  const html = fs.readFileSync(file, 'utf8');
  const ownScripts = (html.match(/<script[\s>]/gi) || []).length;
  const external = /(?:\b(?:src|href|srcset|action|poster)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:|\/\/)/gi;
  for (const m of html.matchAll(external)) problems.push(`external URL in the file: ${m[0]}`);
  return { ownScripts, bytes: Buffer.byteLength(html) };
}

async function checkViews(page, opts, problems) {
  for (const check of [views.checkNav, views.checkSummary, views.checkTimeline, views.checkAnomalies, views.checkCompare, views.checkLogs]) {
    problems.push(...await page.evaluate(check));
  }
  const names = await page.$$eval('section[data-view]', s => s.map(e => e.dataset.view));
  for (const v of [...views.REQUIRED_VIEWS, ...opts.views]) if (!names.includes(v)) problems.push(`no ${v} view`);
  // A view a report has is checked whether or not the test asked for it.
  if (names.includes('groups')) problems.push(...await page.evaluate(views.checkGroups));
  if (names.includes('charts')) problems.push(...await page.evaluate(views.checkCharts, opts.uplot));
  return names;
}

function compareExpected(found, opts, problems) {
  const expect = opts.expect;
  for (const kind of opts.pauseKinds) {
    if (!found.pauseKinds.includes(kind)) problems.push(`pauseKinds: expected ${kind}, found ${JSON.stringify(found.pauseKinds)}`);
  }
  for (const k of ['checksHeld', 'checksViolated', 'notes']) {
    if (expect[k] !== undefined && found[k] !== expect[k]) problems.push(`${k}: expected ${expect[k]}, found ${found[k]}`);
  }
  for (const k of ['faultKinds', 'anomalyKinds']) {
    for (const kind of expect[k] || []) {
      if (!found[k].includes(kind)) problems.push(`${k}: expected ${kind}, found ${JSON.stringify(found[k])}`);
    }
  }
}

async function checkTexts(page, texts, problems) {
  const shown = await page.evaluate(() => document.body.textContent);
  for (const t of texts) if (!shown.includes(t)) problems.push(`the page does not show ${JSON.stringify(t)} as text`);
}

// Opens the report and waits for it to say it is ready; false when it never does.
async function openReport(page, reportUrl, label, problems) {
  const started = Date.now();
  await page.goto(reportUrl, { waitUntil: 'load' });
  try {
    await page.waitForSelector('body[data-report-ready="true"]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
  } catch {
    problems.push(`body[data-report-ready="true"] not set within ${READY_TIMEOUT_MS / 1000} s`);
    return false;
  }
  const wallMs = Date.now() - started;
  const readyMs = await page.evaluate(() => window.__reportReadyMs);
  console.log(`${label}: time to interactive ${readyMs?.toFixed(1)} ms in the page, ${wallMs} ms from navigation`);
  return true;
}

async function checkPage(page, opts, label, ownScripts, problems) {
  const names = await checkViews(page, opts, problems);
  const found = await page.evaluate(views.census);
  console.log(`${label}: views ${names.join(', ')}; ${JSON.stringify(found)}`);
  compareExpected(found, opts, problems);
  for (const label of opts.expect.compareDiffers || []) {
    const changed = await page.evaluate(l => Array.from(document.querySelectorAll('[data-field="compare-counts"] tr[data-label]'))
      .some(tr => tr.dataset.label === l && tr.classList.contains('changed')), label);
    if (!changed) problems.push(`compare: ${label} does not differ between the runs`);
  }
  await checkTexts(page, opts.texts, problems);
  if (opts.stepLogs) problems.push(...await page.evaluate(views.checkLogsStepping));
  problems.push(...await page.evaluate(views.checkNoInjection, ownScripts));
  problems.push(...await exerciseFates(page, opts.expect.fates));
  problems.push(...await exerciseMessages(page, opts.expect.messages, path.join(opts.shots, `${label}-messages-moment.png`)));
  problems.push(...await visitByKeyboard(page, names, view => path.join(opts.shots, `${label}-${view}.png`)));
  // Again after every view was shown: a view drawn lazily must not inject either.
  problems.push(...await page.evaluate(views.checkNoInjection, ownScripts));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { chromium } = loadPlaywright(opts.modules);
  const problems = [];
  const { ownScripts, bytes } = readReport(opts.report, problems);
  const reportUrl = pathToFileURL(opts.report).href;
  const label = path.basename(opts.report).replace(/\.html?$/i, '');
  console.log(`${label}: ${opts.report}, ${bytes} bytes`);
  fs.mkdirSync(opts.shots, { recursive: true });

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await guardRequests(context, reportUrl, problems);
    const page = await context.newPage();
    watchPage(page, reportUrl, problems);
    await page.addInitScript(recordReadyTime);
    if (await openReport(page, reportUrl, label, problems)) await checkPage(page, opts, label, ownScripts, problems);
  } finally {
    await browser.close();
  }
  const distinct = [...new Set(problems)];
  for (const p of distinct) console.error(`${label}: FAIL ${p}`);
  console.log(`${label}: ${distinct.length === 0 ? 'passed' : `failed (${distinct.length} problems)`}`);
  process.exit(distinct.length === 0 ? 0 : 1);
}

main().catch(e => {
  console.error(`report_test: ${e.stack || e}`);
  process.exit(1);
});
