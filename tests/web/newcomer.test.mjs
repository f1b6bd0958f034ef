// newcomer.test.mjs - the map page as a newcomer sees it right after `make run` on a fresh clone.
//
// Run by tests/integration/newcomer.sh against a server started by `make run` in a copy of the
// working tree (no build/, no var/, no web/node_modules). playwright-core comes from the testing
// tree's web/node_modules, never from the copy. Env: BASE_URL (server root), SCREENSHOTS (optional
// directory for newcomer.png). One line per check ("ok - ..." or "FAIL - ..."); exits 1 on any failure.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const SHOTS = process.env.SCREENSHOTS || '';
const isTile = (u) => /\/tiles\/density\/\d+\/\d+\/\d+\.png(\?|$)/.test(u);
const isAreas = (u) => new URL(u).pathname === '/collections/areas/items';
const short = (u) => u.replace(BASE, '');

let failed = 0;
function check(ok, what, detail = '') {
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'FAIL'} - ${what}${detail ? ` (${detail})` : ''}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const consoleErrors = [], pageErrors = [], failedRequests = [], badResponses = [], responses = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('requestfailed', (r) => failedRequests.push(`${short(r.url())}: ${r.failure() ? r.failure().errorText : 'failed'}`));
  page.on('response', (r) => {
    responses.push(r);
    if (r.status() >= 400) badResponses.push(`${r.status()} ${short(r.url())} (${r.headers()['content-type'] || 'no type'})`);
  });

  await page.goto(`${BASE}/`, { waitUntil: 'load', timeout: 30000 });
  // The page sets data-ready when its script has finished ('error' when it failed); then let
  // the layers and tiles finish loading.
  const ready = await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 })
    .then((h) => h.jsonValue()).catch(() => 'never');
  await page.waitForLoadState('networkidle', { timeout: 30000 }).catch(() => {});
  await page.waitForTimeout(500);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'newcomer.png') }).catch(() => {});

  const drawn = await page.evaluate(() => ({
    leaflet: window.L && window.L.version ? window.L.version : null,
    container: document.querySelectorAll('.leaflet-container').length,
    tiles: document.querySelectorAll('.leaflet-container img.leaflet-tile-loaded').length,
    paths: document.querySelectorAll('.leaflet-container svg path').length,
  }));
  const areas = responses.filter((r) => isAreas(r.url()));
  const tiles = responses.filter((r) => isTile(r.url()));
  const tilesOk = tiles.filter((r) => r.status() === 200);

  check(ready === '1', 'the page script finished (data-ready)', `data-ready=${ready}`);
  check(consoleErrors.length === 0, 'no console errors', consoleErrors.slice(0, 3).join(' | '));
  check(pageErrors.length === 0, 'no page errors', pageErrors.slice(0, 3).join(' | '));
  check(failedRequests.length === 0, 'no failed requests', failedRequests.slice(0, 3).join(' | '));
  check(badResponses.length === 0, 'no HTTP response with status >= 400', badResponses.slice(0, 3).join(' | '));
  check(!!drawn.leaflet, 'Leaflet loaded from the page\'s own files', drawn.leaflet ? `L.version ${drawn.leaflet}` : 'window.L missing');
  check(areas.some((r) => r.status() === 200), 'the areas were requested (/collections/areas/items, 200)',
    areas.map((r) => `${r.status()} ${short(r.url())}`).slice(0, 1).join(''));
  // The public is answered only from the release (API.md): a planner's parameter would be a 400.
  const apiReqs = responses.map((r) => new URL(r.url())).filter((u) => /^\/(collections|tiles|api)(\/|$)/.test(u.pathname));
  const allowed = new Set(['year', 'injury_group', 'place_group', 'limit', 'offset', 'bbox', 'f', 'area', 'start', 'before_days', 'after_days']);
  const nonRelease = apiReqs.filter((u) => [...u.searchParams.keys()].some((k) => !allowed.has(k)));
  check(nonRelease.length === 0, 'public: every API request asks only what the release offers (year, one group, paging)',
    nonRelease.length ? nonRelease.slice(0, 3).map((u) => u.pathname + u.search).join(' | ') : `${apiReqs.length} API requests`);
  check(tilesOk.length > 0, 'density tiles requested (/tiles/density/z/x/y.png, 200)', `${tilesOk.length} of ${tiles.length}`);
  check(drawn.container > 0 && (drawn.tiles > 0 || drawn.paths > 0), 'the Leaflet map is drawn (.leaflet-container with tiles or area paths)',
    `${drawn.container} container, ${drawn.tiles} loaded tiles, ${drawn.paths} SVG paths`);
} catch (e) {
  check(false, 'test run', e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
