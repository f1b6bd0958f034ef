// page.test.mjs - drives the map page in headless Chromium (playwright-core, Debian's /usr/bin/chromium).
//
// Env: BASE_URL (server root, e.g. http://127.0.0.1:PORT), PLANNER_TOKEN (optional: planner checks),
// SCREENSHOTS (directory for public.png, planner.png, mobile.png, emerging-*.png). Prints one line per check and
// "N passed, N failed"; exits 1 on any failure. Timing (time to interactive) is logged, never asserted.
//
// The public (no token) is answered only from the published release (issue 13, API.md): its page
// offers a year and one injury or place group, and must never send a planner's parameter (the
// server answers those with 400). The planners' filters (working groups, mechanisms, severity, month
// window) are checked in planner mode, signed in with PLANNER_TOKEN.
// The emerging hot spots layer (issue 17) is checked on its own pages, public and planner
// (checkEmerging); its screenshots are emerging-public.png, emerging-planner.png and
// emerging-popup.png (a planner's cell popup with its monthly series chart).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The traffic working group's mechanism filter: the alias, or the five motor-vehicle traffic
// groups it stands for (SURVEILLANCE.md), as the page writes them.
const TRAFFIC_GROUPS = ['traffic',
  'traffic_occupant,traffic_motorcyclist,traffic_pedal_cyclist,traffic_pedestrian,traffic_other'];

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const { wgsToGcj, gcjToWgs } = await import('../../web/js/gcj02.js');

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8099').replace(/\/$/, '');
const TOKEN = process.env.PLANNER_TOKEN || '';
const GCJ_BASE = (process.env.GCJ_BASE_URL || '').replace(/\/$/, ''); // a server whose config has basemap_gcj02 = true
const SHOTS = process.env.SCREENSHOTS || 'build/screenshots';
const BUDGET = 500 * 1024;
fs.mkdirSync(SHOTS, { recursive: true });

let passed = 0, failed = 0;
const missing = [];
function check(ok, what, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${what}${detail ? ` (${detail})` : ''}`);
}
function info(s) { console.log(`info - ${s}`); }
const isTile = (u) => /\/tiles\/density\/\d+\/\d+\/\d+\.png/.test(u);
const isStreetTile = (u) => /\/tiles\/roads\/\d+\/\d+\/\d+\.png/.test(u);

// GCJ-02 transform against the published test vector of the eviltransform project
// (WGS84 31.1774276 N 121.5272106 E -> GCJ-02 31.17530398364597 N 121.531541859215 E).
{
  const g = wgsToGcj(121.5272106, 31.1774276);
  check(Math.abs(g[0] - 121.531541859215) < 1e-9 && Math.abs(g[1] - 31.17530398364597) < 1e-9, 'gcj02: WGS84->GCJ-02 matches the published vector', g.join(','));
  const w = gcjToWgs(g[0], g[1]);
  check(Math.abs(w[0] - 121.5272106) < 1e-8 && Math.abs(w[1] - 31.1774276) < 1e-8, 'gcj02: inverse round-trips to 1e-8 degrees');
  const o = wgsToGcj(2.35, 48.85);
  check(o[0] === 2.35 && o[1] === 48.85, 'gcj02: no offset outside China');
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), `hazmap-web-${process.pid}-`));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  acceptDownloads: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

function watch(page) {
  const w = { errors: [], netErrors: [], requests: [], responses: [] };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    (/Failed to load resource/.test(m.text()) ? w.netErrors : w.errors).push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => w.requests.push(r));
  page.on('response', (r) => {
    w.responses.push(r);
    if (r.status() >= 400 && !r.url().includes('/collections/incidents/items')) missing.push(`${r.status()} ${r.url().replace(BASE, '')}`);
  });
  return w;
}

// Public mode must never show a suppressed count: not in the server's answer, not in any tooltip,
// not in the black-spot list. `rare`: a filter under which some area must be suppressed.
async function checkSuppression(page, w, label, from = 0, rare = false) {
  const areaResp = w.responses.slice(from).filter((r) => r.url().includes('/collections/areas/items') && r.status() === 200).pop();
  if (!areaResp) { check(false, `${label}: areas response seen`); return; }
  const fc = await areaResp.json();
  const sup = fc.features.filter((f) => f.properties.suppressed);
  const minCount = await page.evaluate(() => window.hazmap.cfg.min_count ?? 10);
  const small = fc.features.filter((f) => !f.properties.suppressed && Number.isFinite(f.properties.count) && f.properties.count < minCount);
  check(sup.every((f) => f.properties.count == null) && small.length === 0, `${label}: server sends no count below ${minCount}`, `${sup.length} suppressed of ${fc.features.length}`);
  if (rare && sup.length === 0) info(`${label}: no area suppressed under the rare filter; tooltip check is vacuous`);
  let leak = 0, shown = 0, supShown = 0;
  const n = await page.evaluate(() => (window.hazmap.layers.groups.areas ? window.hazmap.layers.groups.areas.getLayers().length : 0));
  await page.evaluate(() => { const g = window.hazmap.layers.groups.areas; if (g) window.hazmap.map.fitBounds(g.getBounds(), { animate: false }); });
  for (let i = 0; i < Math.min(n, 20); i++) {
    const pt = await page.evaluate((idx) => {
      const l = window.hazmap.layers.groups.areas.getLayers()[idx];
      const c = window.hazmap.map.latLngToContainerPoint(l.getCenter());
      const r = window.hazmap.map.getContainer().getBoundingClientRect();
      return { x: r.left + c.x, y: r.top + c.y, s: !!l.feature.properties.suppressed };
    }, i);
    await page.mouse.move(pt.x, pt.y);
    await page.waitForTimeout(60);
    const tip = await page.locator('.leaflet-tooltip.area-tip').last().innerText({ timeout: 1000 }).catch(() => '');
    if (!tip) continue;
    shown++;
    if (pt.s) { supShown++; if (/起数|Count|\d{2,}/.test(tip.replace(/\d+ ?起）|fewer than \d+/g, ''))) leak++; }
  }
  await page.mouse.move(5, 400);
  check(shown > 0 && leak === 0, `${label}: tooltips never show a suppressed count`, `${shown} tooltips read, ${supShown} of them suppressed`);
  const bsResp = w.responses.slice(from).filter((r) => r.url().includes('/collections/blackspots/items') && r.status() === 200).pop();
  if (bsResp) {
    const bfc = await bsResp.json();
    const bsup = bfc.features.filter((f) => f.properties.suppressed);
    const bsmall = bfc.features.filter((f) => !f.properties.suppressed && Number.isFinite(f.properties.count) && f.properties.count < minCount);
    const listText = await page.locator('#bs-list').innerText().catch(() => '');
    check(bsup.every((f) => f.properties.count == null) && bsmall.length === 0, `${label}: no black-spot count below ${minCount}`, `${bfc.features.length} black spots, ${bsup.length} suppressed; list ${listText.split('\n').length} lines`);
  }
}

// The API requests a filter selection makes, as comparable text: one "path?query" per layer request
// (areas, black spots, density legend), sorted. Tiles are left out: the browser may answer them from
// its memory cache without a request, and they carry the legend's query (layers.js).
function apiRequests(reqs) {
  const out = new Set();
  for (const r of reqs) {
    const u = new URL(r.url());
    // (the traffic group's screened road sites are a layer of its own since issue 10: not compared)
    if (!u.href.startsWith(BASE) || isTile(u.href) || isStreetTile(u.href) || !/^\/(collections|tiles|api)\//.test(u.pathname) || u.pathname === '/api/config'
      || u.pathname.startsWith('/collections/road_sites/')) continue;
    out.add(`${u.pathname}?${decodeURIComponent(u.search.slice(1))}`);
  }
  return [...out].sort();
}

// What each option of the working-group / mechanism selector asked the server for. First recorded
// from the page as it was when the selectors were still built from lists copied into state.js
// (commit 81561e5); re-recorded (RECORD_GROUP_REQUESTS=FILE) for the mechanism x intent model of
// issue 11, where a working group names the new words (order: intent=assault; traffic: the five
// traffic groups; fire: fire_flame,hot_substance). Since issue 12 the groups come from the server's
// table (geo/wgroups.c, /api/config's "groups"): traffic is its alias mechanism=traffic, which stands
// for the same five groups, and the options follow the table's order (compared as a set). That the
// groups still select the same incidents of the sample is checked against the CSV by
// tests/integration/groups.sh.
const GROUP_REQUESTS = {
  'traffic': [
    '/collections/areas/items?limit=10000&mechanism=traffic',
    '/collections/blackspots/items?limit=100&mechanism=traffic',
    '/tiles/density/legend.json?mechanism=traffic',
  ],
  'fire': [
    '/collections/areas/items?limit=10000&mechanism=fire_flame,hot_substance',
    '/collections/blackspots/items?limit=100&mechanism=fire_flame,hot_substance',
    '/tiles/density/legend.json?mechanism=fire_flame,hot_substance',
  ],
  'workplace': [
    '/collections/areas/items?limit=10000&place=workplace',
    '/collections/blackspots/items?limit=100&place=workplace',
    '/tiles/density/legend.json?place=workplace',
  ],
  'home': [
    '/collections/areas/items?limit=10000&place=home',
    '/collections/blackspots/items?limit=100&place=home',
    '/tiles/density/legend.json?place=home',
  ],
  'elderly': [
    '/collections/areas/items?limit=10000&age=65-',
    '/collections/blackspots/items?limit=100&age=65-',
    '/tiles/density/legend.json?age=65-',
  ],
  'disabled': [
    '/collections/areas/items?limit=10000&disability=yes',
    '/collections/blackspots/items?limit=100&disability=yes',
    '/tiles/density/legend.json?disability=yes',
  ],
  'school': [
    '/collections/areas/items?limit=10000&place=school',
    '/collections/blackspots/items?limit=100&place=school',
    '/tiles/density/legend.json?place=school',
  ],
  'environment': [
    '/collections/areas/items?limit=10000&mechanism=drowning,bites_stings,electric,poisoning,natural',
    '/collections/blackspots/items?limit=100&mechanism=drowning,bites_stings,electric,poisoning,natural',
    '/tiles/density/legend.json?mechanism=drowning,bites_stings,electric,poisoning,natural',
  ],
  'public': [
    '/collections/areas/items?limit=10000&place=public',
    '/collections/blackspots/items?limit=100&place=public',
    '/tiles/density/legend.json?place=public',
  ],
  'order': [
    '/collections/areas/items?limit=10000&intent=assault',
    '/collections/blackspots/items?limit=100&intent=assault',
    '/tiles/density/legend.json?intent=assault',
  ],
  'm.traffic_occupant': [
    '/collections/areas/items?limit=10000&mechanism=traffic_occupant',
    '/collections/blackspots/items?limit=100&mechanism=traffic_occupant',
    '/tiles/density/legend.json?mechanism=traffic_occupant',
  ],
  'm.traffic_motorcyclist': [
    '/collections/areas/items?limit=10000&mechanism=traffic_motorcyclist',
    '/collections/blackspots/items?limit=100&mechanism=traffic_motorcyclist',
    '/tiles/density/legend.json?mechanism=traffic_motorcyclist',
  ],
  'm.traffic_pedal_cyclist': [
    '/collections/areas/items?limit=10000&mechanism=traffic_pedal_cyclist',
    '/collections/blackspots/items?limit=100&mechanism=traffic_pedal_cyclist',
    '/tiles/density/legend.json?mechanism=traffic_pedal_cyclist',
  ],
  'm.traffic_pedestrian': [
    '/collections/areas/items?limit=10000&mechanism=traffic_pedestrian',
    '/collections/blackspots/items?limit=100&mechanism=traffic_pedestrian',
    '/tiles/density/legend.json?mechanism=traffic_pedestrian',
  ],
  'm.traffic_other': [
    '/collections/areas/items?limit=10000&mechanism=traffic_other',
    '/collections/blackspots/items?limit=100&mechanism=traffic_other',
    '/tiles/density/legend.json?mechanism=traffic_other',
  ],
  'm.other_transport': [
    '/collections/areas/items?limit=10000&mechanism=other_transport',
    '/collections/blackspots/items?limit=100&mechanism=other_transport',
    '/tiles/density/legend.json?mechanism=other_transport',
  ],
  'm.fall': [
    '/collections/areas/items?limit=10000&mechanism=fall',
    '/collections/blackspots/items?limit=100&mechanism=fall',
    '/tiles/density/legend.json?mechanism=fall',
  ],
  'm.struck': [
    '/collections/areas/items?limit=10000&mechanism=struck',
    '/collections/blackspots/items?limit=100&mechanism=struck',
    '/tiles/density/legend.json?mechanism=struck',
  ],
  'm.cut_pierce': [
    '/collections/areas/items?limit=10000&mechanism=cut_pierce',
    '/collections/blackspots/items?limit=100&mechanism=cut_pierce',
    '/tiles/density/legend.json?mechanism=cut_pierce',
  ],
  'm.fire_flame': [
    '/collections/areas/items?limit=10000&mechanism=fire_flame',
    '/collections/blackspots/items?limit=100&mechanism=fire_flame',
    '/tiles/density/legend.json?mechanism=fire_flame',
  ],
  'm.hot_substance': [
    '/collections/areas/items?limit=10000&mechanism=hot_substance',
    '/collections/blackspots/items?limit=100&mechanism=hot_substance',
    '/tiles/density/legend.json?mechanism=hot_substance',
  ],
  'm.drowning': [
    '/collections/areas/items?limit=10000&mechanism=drowning',
    '/collections/blackspots/items?limit=100&mechanism=drowning',
    '/tiles/density/legend.json?mechanism=drowning',
  ],
  'm.suffocation': [
    '/collections/areas/items?limit=10000&mechanism=suffocation',
    '/collections/blackspots/items?limit=100&mechanism=suffocation',
    '/tiles/density/legend.json?mechanism=suffocation',
  ],
  'm.poisoning': [
    '/collections/areas/items?limit=10000&mechanism=poisoning',
    '/collections/blackspots/items?limit=100&mechanism=poisoning',
    '/tiles/density/legend.json?mechanism=poisoning',
  ],
  'm.machinery': [
    '/collections/areas/items?limit=10000&mechanism=machinery',
    '/collections/blackspots/items?limit=100&mechanism=machinery',
    '/tiles/density/legend.json?mechanism=machinery',
  ],
  'm.natural': [
    '/collections/areas/items?limit=10000&mechanism=natural',
    '/collections/blackspots/items?limit=100&mechanism=natural',
    '/tiles/density/legend.json?mechanism=natural',
  ],
  'm.bites_stings': [
    '/collections/areas/items?limit=10000&mechanism=bites_stings',
    '/collections/blackspots/items?limit=100&mechanism=bites_stings',
    '/tiles/density/legend.json?mechanism=bites_stings',
  ],
  'm.firearm': [
    '/collections/areas/items?limit=10000&mechanism=firearm',
    '/collections/blackspots/items?limit=100&mechanism=firearm',
    '/tiles/density/legend.json?mechanism=firearm',
  ],
  'm.electric': [
    '/collections/areas/items?limit=10000&mechanism=electric',
    '/collections/blackspots/items?limit=100&mechanism=electric',
    '/tiles/density/legend.json?mechanism=electric',
  ],
  'm.overexertion': [
    '/collections/areas/items?limit=10000&mechanism=overexertion',
    '/collections/blackspots/items?limit=100&mechanism=overexertion',
    '/tiles/density/legend.json?mechanism=overexertion',
  ],
  'm.other': [
    '/collections/areas/items?limit=10000&mechanism=other',
    '/collections/blackspots/items?limit=100&mechanism=other',
    '/tiles/density/legend.json?mechanism=other',
  ],
  'm.unspecified': [
    '/collections/areas/items?limit=10000&mechanism=unspecified',
    '/collections/blackspots/items?limit=100&mechanism=unspecified',
    '/tiles/density/legend.json?mechanism=unspecified',
  ],
};

// What a public request may carry (API.md, the *_public sections): the release's dimensions, paging,
// and the evaluation's own arguments. Anything a planner sends besides is a 400 for the public.
const PUBLIC_ALLOWED = new Set(['year', 'injury_group', 'place_group', 'limit', 'offset', 'bbox', 'f', 'area', 'start', 'before_days', 'after_days']);
const PLANNER_ONLY = ['mechanism', 'place', 'intent', 'severity', 'sex', 'from', 'to', 'age', 'disability', 'eps', 'min_points', 'cell', 'band', 'shape',
  'bandwidth', 'kernel', 'weight', 'weights', 'datetime', 'compare'];
/** The public API requests among reqs that carry a parameter the public may not ask: ["path?query", ...]. */
function nonReleaseRequests(reqs) {
  const out = [];
  for (const r of reqs) {
    const u = new URL(r.url());
    if (!u.href.startsWith(BASE) || !/^\/(collections|tiles|api)(\/|$)/.test(u.pathname)) continue;
    const keys = [...u.searchParams.keys()];
    if (keys.some((k) => !PUBLIC_ALLOWED.has(k) || PLANNER_ONLY.includes(k))) out.push(`${u.pathname}?${decodeURIComponent(u.search.slice(1))}`);
  }
  return out;
}

// The street layer (issue 10): the server's road tiles are the offline base map, below every overlay,
// with the OpenStreetMap attribution; at least one tile over Jinjiang has a drawn (non-transparent)
// pixel, read back through a canvas (the tiles are same-origin).
async function checkStreets(page, w, label, fresh = true) {
  const resp = w.responses.filter((r) => isStreetTile(r.url()));
  const ok = resp.filter((r) => r.status() === 200 && (r.headers()['content-type'] || '') === 'image/png');
  const v = await page.evaluate(() => {
    const imgs = [...document.querySelectorAll('.leaflet-streets-pane img.street-tiles, .leaflet-streets-pane .street-tiles img')]
      .filter((i) => i.complete && i.naturalWidth === 256);
    let drawn = 0;
    for (const img of imgs) {
      const c = document.createElement('canvas');
      c.width = c.height = 256;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, 256, 256).data;
      for (let k = 3; k < d.length; k += 4) if (d[k] > 0) { drawn++; break; }
    }
    const z = (n) => Number(getComputedStyle(document.querySelector(`.leaflet-${n}-pane`) || document.body).zIndex);
    return {
      n: imgs.length, drawn, below: z('streets') < z('areas') && z('streets') < z('density') && z('streets') < z('overlay'),
      attribution: (document.querySelector('.leaflet-control-attribution') || {}).textContent || '',
    };
  });
  // (a later page may take the tiles from the browser's cache without a request)
  check((ok.length > 0 || !fresh) && ok.length === resp.length && v.n > 0, `${label}: street tiles load (/tiles/roads, image/png)`, `${ok.length}/${resp.length} responses, ${v.n} tiles shown`);
  check(v.drawn > 0, `${label}: the street layer draws roads (a tile with non-transparent pixels)`, `${v.drawn} of ${v.n} tiles with roads`);
  check(v.below, `${label}: the street layer lies below every overlay`);
  check(/OpenStreetMap/.test(v.attribution), `${label}: "© OpenStreetMap contributors" shown with the street layer`, v.attribution.trim());
}

/** A new page signed in as a planner (the token in sessionStorage, as the sign-in form leaves it). */
async function plannerPage() {
  const pp = await ctx.newPage();
  await pp.addInitScript((tok) => { try { sessionStorage.setItem('hazmap.token', tok); } catch { /* */ } }, TOKEN);
  return pp;
}

// The emerging hot spots layer (issue 17): switched on from the layer list, its items request answered,
// coloured cells drawn (no-pattern cells are not), a legend of the 17 patterns, and a click on a cell
// opening a popup with the series chart (inline SVG). planner: the step selector and the item request
// (the public's list carries the series: no item request). Returns the page's emerging info.
async function checkEmerging(page, w, label, planner) {
  const b = w.requests.length, br = w.responses.length;
  await page.locator('#layer-emerging').check();
  await page.waitForFunction(() => window.hazmap.layers.info.emerging, null, { timeout: 60000 }).catch(() => {});
  await settle(page, 300);
  const ie = await page.evaluate(() => window.hazmap.layers.info.emerging || null);
  const req = w.requests.slice(b).find((r) => new URL(r.url()).pathname === '/collections/emerging/items');
  const resp = w.responses.slice(br).find((r) => new URL(r.url()).pathname === '/collections/emerging/items');
  const q = req ? new URL(req.url()).searchParams : new URLSearchParams();
  check(!!req && !!resp && resp.status() === 200 && ie && ie.ok, `${label}: emerging layer switched on, its items request succeeds`,
    `${req ? req.url().replace(BASE, '') : 'no request'} -> ${resp ? resp.status() : '-'}; ${ie ? `${ie.n} of ${ie.total} cells drawn, step ${ie.step}` : 'no info'}`);
  if (planner) {
    check(q.get('step') === 'month' && /^Bearer /.test(req ? (await req.allHeaders()).authorization || '' : '') && !(await page.locator('#f-es-l').isHidden()),
      `${label}: monthly by default, with the token, step selector shown`, q.toString());
  } else {
    check(!!req && !q.has('step') && !q.has('year') && (await page.locator('#f-es-l').isHidden()), `${label}: no step, no year asked (the release's years), no step selector`, q.toString());
  }
  const paths = await page.evaluate(() => [...document.querySelectorAll('.leaflet-emerging-pane path.leaflet-interactive')].map((p) => ({ fill: p.getAttribute('fill'), op: Number(p.getAttribute('fill-opacity')) })));
  const coloured = paths.filter((p) => /^#[0-9a-f]{6}$/i.test(p.fill || '') && p.fill.toLowerCase() !== '#e6e6e6' && p.op > 0);
  const fillsOk = await page.evaluate(() => window.hazmap.layers.groups.emerging.getLayers().every((l) => l.options.fillColor === l.feature.properties.colour && l.feature.properties.pattern !== 'no_pattern'));
  check(coloured.length > 0 && fillsOk, `${label}: cells drawn in their pattern colours, no-pattern cells left out`, `${coloured.length} coloured paths; ${[...new Set(coloured.map((p) => p.fill))].join(' ')}`);
  const lg = await page.evaluate(() => [...document.querySelectorAll('.legend .lg-em .em-i')].map((e) => ({ k: e.dataset.pattern, on: e.classList.contains('on'), txt: e.textContent, c: e.querySelector('i') && e.querySelector('i').style.background })));
  const present = Object.keys(ie ? ie.present : {});
  check(lg.length === 17 && new Set(lg.map((x) => x.k)).size === 17 && lg.every((x) => x.txt.trim() && x.c) && lg.filter((x) => x.on).map((x) => x.k).sort().join() === present.sort().join(),
    `${label}: legend lists the 17 patterns with colours, those present highlighted`, `${lg.length} entries, ${lg.filter((x) => x.on).length} present: ${lg.filter((x) => x.on).map((x) => x.txt).join(' | ')}`);
  // Click the cell of the most frequent drawn pattern (the first drawn layer of it), centred in view.
  const pt = await page.evaluate(() => {
    const m = window.hazmap.map;
    const ls = window.hazmap.layers.groups.emerging.getLayers();
    const l = ls.find((x) => /persistent|consecutive|intensifying/.test(x.feature.properties.pattern)) || ls[0];
    m.setView(l.getCenter(), 16, { animate: false });
    const c = m.latLngToContainerPoint(l.getCenter());
    const r = m.getContainer().getBoundingClientRect();
    return { x: r.left + c.x, y: r.top + c.y, id: l.feature.id, pattern: l.feature.properties.pattern };
  });
  await settle(page, 200);
  const bi = w.requests.length, bri = w.responses.length;
  await page.mouse.click(pt.x, pt.y);
  const chart = page.locator('.leaflet-popup .em-popup svg.em-chart');
  await chart.waitFor({ timeout: 20000 }).catch(() => {});
  const pop = await page.evaluate(() => {
    const e = document.querySelector('.leaflet-popup .em-popup');
    return e ? { txt: e.innerText, bars: e.querySelectorAll('svg .em-bar').length, line: e.querySelectorAll('svg polyline.em-z').length, sig: e.querySelectorAll('svg circle.em-sig').length,
      hot: [...e.querySelectorAll('svg circle.em-sig.hot')].every((c) => c.getAttribute('fill') === '#d7191c'), cold: [...e.querySelectorAll('svg circle.em-sig.cold')].every((c) => c.getAttribute('fill') === '#2c7bb6') } : null;
  });
  const itemReq = w.requests.slice(bi).find((r) => /^\/collections\/emerging\/items\/[^/]+$/.test(new URL(r.url()).pathname));
  const itemResp = w.responses.slice(bri).find((r) => /^\/collections\/emerging\/items\/[^/]+$/.test(new URL(r.url()).pathname));
  check(!!pop && pop.bars > 0 && pop.line > 0 && pop.hot && pop.cold, `${label}: a click on a cell opens a popup with its series chart (bars, z line, hot/cold marks)`,
    pop ? `${pt.pattern}: ${pop.txt.split('\n')[0]}; ${pop.bars} bars, ${pop.sig} significant steps` : 'no popup');
  if (planner) {
    const iq = itemReq ? new URL(itemReq.url()).searchParams : null;
    check(!!itemReq && !!itemResp && itemResp.status() === 200 && iq.get('step') === 'month' && new URL(itemReq.url()).pathname.endsWith(`/${pt.id}`),
      `${label}: the popup's series comes from /collections/emerging/items/{id} with the same parameters`, itemReq ? `${itemReq.url().replace(BASE, '')} -> ${itemResp ? itemResp.status() : '-'}` : 'no item request');
    await page.screenshot({ path: path.join(SHOTS, 'emerging-popup.png') });
    info(`screenshot ${path.join(SHOTS, 'emerging-popup.png')}`);
    await page.evaluate(() => window.hazmap.map.closePopup());
    const bs = w.requests.length;
    await page.selectOption('#f-es', 'quarter');
    await page.waitForFunction(() => window.hazmap.layers.info.emerging && window.hazmap.layers.info.emerging.step === 'quarter', null, { timeout: 60000 }).catch(() => {});
    await settle(page, 300);
    const sreq = w.requests.slice(bs).filter((r) => new URL(r.url()).pathname === '/collections/emerging/items').map((r) => new URL(r.url()).searchParams.get('step'));
    const step = await page.evaluate(() => (window.hazmap.layers.info.emerging || {}).step);
    check(sreq.includes('quarter') && step === 'quarter' && page.url().includes('es=quarter'), `${label}: the step selector reloads the layer quarterly (kept in the URL)`, `${sreq.join(',')}; layer step ${step}`);
  } else {
    check(!itemReq, `${label}: the public's popup uses the series in the list (no item request)`);
    // A year selection leaves the public's emerging hot spots alone (they span the release's years).
    const years = await page.evaluate(() => (window.hazmap.cfg.release || {}).years || []);
    if (years.length) {
      const by = w.requests.length;
      await page.selectOption('#f-year', years[0]);
      await settle(page, 400);
      const yreq = w.requests.slice(by).filter((r) => new URL(r.url()).pathname.startsWith('/collections/emerging/'));
      check(yreq.length === 0, `${label}: a year change does not ask the emerging hot spots again (never with a year)`, yreq.map((r) => r.url().replace(BASE, '')).join(' '));
      await page.selectOption('#f-year', '');
    }
  }
  return ie;
}

async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 15000 });
  // Wait until every enabled layer has finished (ok or failed) loading.
  await page.waitForFunction(() => {
    const h = window.hazmap;
    return h && h.layers && [...h.layers.enabled].every((n) => h.layers.info[n] || (n === 'incidents' && !h.layers.planner));
  }, null, { timeout: 20000 }).catch(() => {});
}

// Polls cond (on this side: the requests seen so far) until it holds or ms pass; a loaded CI
// machine can take seconds to send what an idle one sends at once.
async function until(cond, ms = 30000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 100))) {
    if (cond()) return true;
  }
  return cond();
}

async function settle(page, ms = 400) {
  await page.waitForLoadState('networkidle', { timeout: 15000 }).catch(() => {});
  await page.waitForTimeout(ms);
}

try {
  // ---------------------------------------------------------------- public portal, first load
  const page = await ctx.newPage();
  const w = watch(page);
  const t0 = Date.now();
  await page.goto(`${BASE}/`, { waitUntil: 'domcontentloaded' });
  await waitReady(page);
  const tti = Date.now() - t0;
  await settle(page);
  const readyMs = await page.evaluate(() => window.hazmap.readyMs);
  info(`time to interactive (navigation -> layers loaded): ${tti} ms; page script ready after ${Math.round(readyMs)} ms (budget 2000 ms, logged only)`);

  const info0 = await page.evaluate(() => ({ role: window.hazmap.cfg.role, cfgOk: window.hazmap.cfg.ok, layers: window.hazmap.layers.info, enabled: [...window.hazmap.layers.enabled] }));
  check(info0.cfgOk, '/api/config answered', info0.cfgOk ? `role ${info0.role}` : 'missing: page runs with public defaults');
  check(info0.role === 'public', 'no token -> public role');
  // The public's selectors offer the release's dimensions only (/api/config's release), and the
  // planners' filters are hidden with a note.
  {
    const v = await page.evaluate(() => ({
      rel: window.hazmap.cfg.release || null,
      years: [...document.querySelectorAll('#f-year option')].map((o) => o.value).filter(Boolean),
      groups: [...document.querySelectorAll('#f-group option')].map((o) => o.value).filter(Boolean),
      plannerHidden: document.getElementById('planner-filters').hidden && document.getElementById('f-hc-l').hidden,
      note: document.getElementById('pub-note').hidden ? '' : document.getElementById('pub-note').textContent,
      period: document.getElementById('period').textContent,
    }));
    const want = v.rel ? [...v.rel.injury_group.map((g) => `injury_group:${g}`), ...v.rel.place_group.map((g) => `place_group:${g}`)] : [];
    check(!!v.rel && v.rel.id > 0 && v.rel.years.length > 0, '/api/config names the public release (id, years, groups)', v.rel ? `release ${v.rel.id}, years ${v.rel.years.join(',')}` : 'no release');
    check(!!v.rel && JSON.stringify(v.years) === JSON.stringify(v.rel.years) && JSON.stringify(v.groups) === JSON.stringify(want),
      'public: the year and group selectors offer exactly the release\'s years, injury groups and place groups', `${v.years.length} years, ${v.groups.length} groups`);
    check(v.plannerHidden && v.note.length > 0, 'public: the planners\' filters are hidden, with a note', v.note.slice(0, 60));
    check(!!v.rel && v.period.includes(String(v.rel.id)) && v.period.includes(v.rel.first_quarter) && v.period.includes(v.rel.last_quarter), 'public: the release id and period are shown', v.period);
  }
  check(w.errors.length === 0, 'no console errors on load', w.errors.slice(0, 3).join(' | '));
  if (w.netErrors.length) info(`network errors logged by the browser: ${w.netErrors.join(' | ')}`);

  // bytes of the first load, tiles excluded (Playwright's request.sizes(): bytes on the wire incl. headers)
  let bytes = 0;
  for (const r of w.requests) {
    if (isTile(r.url()) || isStreetTile(r.url()) || !r.url().startsWith(BASE)) continue;
    try { const s = await r.sizes(); bytes += s.responseBodySize + s.responseHeadersSize; } catch { /* failed request */ }
  }
  check(bytes <= BUDGET, 'first load <= 500 KB apart from tiles', `${(bytes / 1024).toFixed(1)} KB in ${w.requests.filter((r) => !isTile(r.url()) && !isStreetTile(r.url())).length} requests`);

  const nAreas = await page.locator('.leaflet-areas-pane path.leaflet-interactive').count();
  check(info0.layers.areas && info0.layers.areas.ok && nAreas > 0, 'boundaries load (choropleth paths drawn)', `${nAreas} paths; ${JSON.stringify(info0.layers.areas)}`);
  const legendText = await page.locator('.legend').innerText().catch(() => '');
  check(/\d/.test(legendText), 'legend shows classes', legendText.split('\n').slice(0, 3).join(' / '));

  const tileResp = w.responses.filter((r) => isTile(r.url()));
  const tileOk = tileResp.filter((r) => r.status() === 200 && (r.headers()['content-type'] || '').startsWith('image/png'));
  const tileImgs = await page.locator('.leaflet-density-pane img.leaflet-tile-loaded').count();
  check(info0.layers.density && info0.layers.density.ok && tileOk.length > 0 && tileImgs > 0, 'density tiles load', `${tileOk.length}/${tileResp.length} PNG responses, ${tileImgs} tiles shown`);

  await checkStreets(page, w, 'public');

  // public mode: no incidents, no suppressed counts
  check(await page.locator('#layer-incidents').isDisabled(), 'public: incident layer disabled');
  check(await page.locator('#layer-network').isDisabled() && await page.locator('#layer-roadsites').isDisabled()
    && !w.requests.some((r) => /\/tiles\/network\/|\/collections\/road_sites/.test(r.url())), 'public: the live network layers (network density, road sites) are disabled and never asked');
  check(!w.requests.some((r) => r.url().includes('/collections/incidents')), 'public: no incident request made');
  check(await page.locator('.leaflet-marker-icon.marker-cluster, .leaflet-overlay-pane path').count() === 0, 'public: no incident points drawn');
  await checkSuppression(page, w, 'public (all data)');
  // The narrowest public selection (the first year, the school place group).
  const relYears = await page.evaluate(() => (window.hazmap.cfg.release || {}).years || []);
  if (relYears.length) {
    const b = w.requests.length;
    await page.selectOption('#f-year', relYears[0]);
    await page.selectOption('#f-group', 'place_group:school');
    await settle(page, 500);
    await checkSuppression(page, w, 'public (one year, one place group)', b, true);
    await page.selectOption('#f-year', '');
    await page.selectOption('#f-group', '');
    await settle(page, 500);
  }

  // black spot: list click and marker click open the popup with charts
  const nMarkers = await page.locator('.leaflet-marker-icon.bs-icon').count();
  if (nMarkers > 0) {
    await page.locator('#bs-list .bs-item').first().click();
    const pop = page.locator('.leaflet-popup .bs-popup');
    await pop.waitFor({ timeout: 3000 }).catch(() => {});
    const txt = await pop.innerText().catch(() => '');
    check(/1/.test(txt), 'black spot: side-list click zooms and opens the popup', txt.split('\n')[0]);
    await page.keyboard.press('Escape');
    await page.evaluate(() => window.hazmap.map.closePopup());
    const mk = page.locator('.leaflet-marker-icon.bs-icon').first();
    await mk.click();
    await pop.waitFor({ timeout: 3000 }).catch(() => {});
    const svgs = await page.locator('.leaflet-popup .bs-popup svg.chart').count();
    const ptxt = await pop.innerText().catch(() => '');
    check(ptxt.length > 0, 'black spot: marker click opens its popup', `${svgs} inline SVG charts`);
    // The popup names the nearest road when the roads collection has a named one close by: the
    // page asked the roads around the spot, and a road line appears only with a name from that answer.
    await settle(page, 500);
    const rResp = w.responses.filter((r) => r.url().includes('/collections/roads/items?bbox=')).pop();
    const rNames = rResp ? ((await rResp.json()).features || []).map((f) => f.properties.name).filter(Boolean) : [];
    const roadTxt = await page.locator('.leaflet-popup .bs-popup .road b').innerText({ timeout: 500 }).catch(() => '');
    check(!!rResp && rResp.status() === 200 && (roadTxt ? rNames.includes(roadTxt) : true) && (rNames.length === 0 ? !roadTxt : true),
      'black spot: the popup asks the roads nearby and names the nearest named one', `${rNames.length} named roads near; popup: ${roadTxt || 'no road line'}`);
    const bs = await page.evaluate(() => ({ f: window.hazmap.layers.blackspots.map((x) => ({ g: x.geometry && x.geometry.type, p: x.properties })), squares: document.querySelectorAll('.leaflet-squares-pane path').length }));
    check(bs.f.length > 0 && bs.f.every((x) => x.g === 'Polygon' && x.p.score === undefined && Number.isFinite(x.p.count_lo) && Number.isFinite(x.p.count_hi)) && bs.squares === bs.f.length && /–|-/.test(ptxt) && !/score|加权分/i.test(ptxt),
      'public black spots: released squares drawn, with count and interval, no score', `${bs.f.length} squares; ${ptxt.split('\n').slice(0, 2).join(' / ')}`);
    await page.evaluate(() => window.hazmap.map.closePopup());
  } else {
    const nList = await page.locator('#bs-list .bs-item').count();
    check(false, 'black spots shown', `${nList ? 'list only' : 'none'}; ${JSON.stringify(info0.layers.blackspots || null)}`);
  }

  // Gi* hot and cold cells, coloured by class
  await page.locator('#layer-hotspots').check();
  await page.waitForFunction(() => window.hazmap.layers.info.hotspots, null, { timeout: 20000 }).catch(() => {});
  const hs = await page.evaluate(() => {
    const h = window.hazmap.layers;
    const g = h.groups.hotspots;
    const fills = g ? [...new Set(g.getLayers().map((l) => `${l.feature.properties.class}:${l.options.fillColor}`))] : [];
    return { info: h.info.hotspots || null, fills, hash: location.hash };
  });
  const expectFill = { hot99: '#b2182b', hot95: '#e34a33', hot90: '#fc9272', cold90: '#9ecae1', cold95: '#4292c6', cold99: '#08519c' };
  const fillsOk = hs.fills.every((x) => { const [c, f] = x.split(':'); return expectFill[c] === f; });
  check(hs.info && hs.info.ok && fillsOk && hs.hash.includes('hotspots'), 'Gi* layer: significant cells drawn in their confidence colours, layer kept in the URL',
    hs.info ? `${hs.info.n} of ${hs.info.total} cells significant; ${hs.fills.join(' ')}` : 'no answer');

  // a year and group change reloads the layers with those parameters (and only those)
  const before = w.requests.length;
  const y2 = relYears[relYears.length > 1 ? 1 : 0] || '';
  await page.selectOption('#f-year', y2);
  await page.selectOption('#f-group', 'injury_group:traffic');
  const wantQ0 = `year=${y2}&injury_group=traffic`;
  // The release's tiles are drawn on first request (seconds each on a busy machine): wait for them.
  await page.waitForFunction((q) => [...document.querySelectorAll('.leaflet-density-pane img.leaflet-tile-loaded')].some((i) => i.src.includes(q)), wantQ0, { timeout: 30000 }).catch(() => {});
  await until(() => ['/collections/areas/items', '/collections/blackspots/items', '/collections/hotspots/items']
    .every((c) => w.requests.slice(before).some((r) => r.url().includes(c) && r.url().includes(y2 ? `year=${y2}` : 'injury_group'))));
  await settle(page, 600);
  const after = w.requests.slice(before).map((r) => r.url());
  const wantQ = `year=${y2}&injury_group=traffic`;
  const newTiles = after.filter((u) => isTile(u) && u.includes(wantQ));
  check(newTiles.length > 0, 'public: year and group change reloads density tiles with year and injury_group', newTiles[0] ? newTiles[0].replace(BASE, '') : `${after.length} requests: ${after.map((u) => u.replace(BASE, '')).filter((u) => !isTile(u)).join(' ')}`);
  check(after.some((u) => u.includes('/collections/areas/items') && u.includes(`year=${y2}`)), 'public: a year change reloads the areas of that year');
  check(after.some((u) => u.includes('/collections/blackspots/items') && u.includes(wantQ)), 'public: year and group change reloads the black spots with them');
  check(after.some((u) => u.includes('/collections/hotspots/items') && u.includes(wantQ)), 'public: year and group change reloads the hot spots with them');
  const tilesNow = await page.evaluate(() => ({ url: window.hazmap.layers.info.density && window.hazmap.layers.info.density.url, imgs: [...document.querySelectorAll('.leaflet-density-pane img')].map((i) => i.src).filter((s) => s.includes('/tiles/')) }));
  check(tilesNow.imgs.length > 0 && tilesNow.imgs.every((s) => s.includes(wantQ)), 'tiles on screen all carry the new year and group', `${tilesNow.imgs.length} tiles; layer ${tilesNow.url}`);
  await page.evaluate(() => window.hazmap.map.setView([30.62, 104.1], 14, { animate: false }));
  await settle(page, 300);

  // URL round trip
  const url = page.url();
  const stateA = await page.evaluate(() => ({ ...window.hazmap.state }));
  const p2 = await ctx.newPage();
  const w2 = watch(p2);
  await p2.goto(url, { waitUntil: 'domcontentloaded' });
  await waitReady(p2);
  const stateB = await p2.evaluate(() => ({ ...window.hazmap.state, group: document.getElementById('f-group').value, year: document.getElementById('f-year').value, zoom: window.hazmap.map.getZoom(), c: window.hazmap.map.getCenter() }));
  const same = stateB.group === stateA.pg && stateB.year === stateA.y && stateA.pg === 'injury_group:traffic' &&
    stateB.zoom === stateA.v[0] && Math.abs(stateB.c.lat - stateA.v[1]) < 1e-4 && Math.abs(stateB.c.lng - stateA.v[2]) < 1e-4 && JSON.stringify(stateB.l) === JSON.stringify(stateA.l);
  check(same, 'URL round-trips the state (filters, layers, view)', url.replace(BASE, ''));
  check(w2.errors.length === 0, 'no console errors on reload from a shared URL', w2.errors.slice(0, 2).join(' | '));

  // language switch
  await p2.click('#lang');
  await p2.waitForTimeout(300);
  const title = await p2.locator('#title').innerText();
  check(/[A-Za-z]/.test(title) && p2.url().includes('lang=en'), 'English switch (and kept in the URL)', title);

  // evaluation panel
  const codes = await p2.locator('#e-area option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  if (codes.length) {
    await p2.selectOption('#e-area', codes[0]);
    await p2.fill('#e-start', '2014-01-01');
    await p2.click('#e-run');
    await p2.waitForFunction(() => !/Loading|加载/.test(document.getElementById('e-out').textContent), null, { timeout: 10000 }).catch(() => {});
    const out = await p2.locator('#e-out').innerText();
    const svg = await p2.locator('#e-out svg').count();
    if (/not available|暂不可用/.test(out)) info(`evaluation endpoint: ${out}`);
    check(svg === 1 && /\d/.test(out), 'evaluation panel shows RR with CI and a before/after chart', out.split('\n')[0]);
  } else check(false, 'evaluation panel lists sub-districts');

  // PNG export
  const dl = p2.waitForEvent('download', { timeout: 10000 }).catch(() => null);
  await p2.click('#export');
  const d = await dl;
  let pngOk = false, pngSize = 0;
  if (d) { const f = await d.path(); const b = fs.readFileSync(f); pngSize = b.length; pngOk = b.slice(1, 4).toString() === 'PNG' && b.length > 5000; }
  check(pngOk, 'Export PNG downloads an image of the view', `${pngSize} bytes`);
  await p2.close();

  // Every request of the public session (load, selectors, layers, reload from the URL, language,
  // evaluation, export) carries only what the public may ask, and none was refused.
  {
    const all = [...w.requests, ...w2.requests];
    const bad = nonReleaseRequests(all);
    const api = all.filter((r) => /^\/(collections|tiles|api)(\/|$)/.test(new URL(r.url()).pathname));
    check(bad.length === 0, 'public: no request carries a parameter outside the release (mechanism, from/to, age, eps, min_points, cell, bandwidth, kernel, weights, ...)',
      bad.length ? `${bad.length}: ${bad.slice(0, 3).join(' | ')}` : `${api.length} API requests`);
    const refused = [...w.responses, ...w2.responses].filter((r) => r.status() >= 400).map((r) => `${r.status()} ${r.url().replace(BASE, '')}`);
    check(refused.length === 0, 'public: no request answered 4xx or 5xx', refused.slice(0, 3).join(' | '));
  }

  // screenshot of the public view (filters back to all)
  await page.selectOption('#f-group', '');
  await page.selectOption('#f-year', '');
  await page.locator('#layer-hotspots').uncheck();
  await page.evaluate(() => { const b = window.hazmap.cfg.bounds; if (b) window.hazmap.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false }); });
  await settle(page, 800);
  await page.screenshot({ path: path.join(SHOTS, 'public.png') });
  info(`screenshot ${path.join(SHOTS, 'public.png')}`);
  const tileUrls = w.requests.map((r) => r.url()).filter((u) => u.includes('/tiles/density/') && u.includes('.png'));
  const badTiles = tileUrls.filter((u) => !isTile(u));
  const failedTiles = w.responses.filter((r) => r.url().includes('/tiles/density/') && r.status() >= 400);
  check(badTiles.length === 0 && failedTiles.length === 0, 'every density tile request has whole z/x/y and succeeds', `${tileUrls.length} tile requests${badTiles[0] ? `; bad: ${badTiles[0].replace(BASE, '')}` : ''}${failedTiles[0] ? `; ${failedTiles[0].status()} ${failedTiles[0].url().replace(BASE, '')}` : ''}`);
  check(w.errors.length === 0, 'no console errors during the public session', w.errors.slice(0, 3).join(' | '));

  // phone-sized screen: panel collapsed, toggles open
  const ph = await ctx.newPage();
  await ph.setViewportSize({ width: 375, height: 700 });
  const wph = watch(ph);
  await ph.goto(`${BASE}/`, { waitUntil: 'domcontentloaded' });
  await waitReady(ph);
  await settle(ph, 300);
  const closed = await ph.evaluate(() => document.getElementById('panel').classList.contains('closed'));
  await ph.click('#toggle');
  await ph.waitForTimeout(300);
  const open = await ph.evaluate(() => !document.getElementById('panel').classList.contains('closed'));
  await ph.screenshot({ path: path.join(SHOTS, 'mobile.png') });
  check(closed && open && wph.errors.length === 0, 'phone layout: panel collapsed by default and opens');
  await ph.close();

  // print layout: title, legend, scale bar, filters and data date visible
  await page.emulateMedia({ media: 'print' });
  const pr = await page.evaluate(() => {
    const vis = (sel) => { const e = document.querySelector(sel); return !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().height > 0; };
    return { head: vis('#print-head'), title: document.getElementById('print-title').textContent, filters: document.getElementById('print-filters').textContent,
      date: document.getElementById('print-date').textContent, legend: vis('.legend'), scale: vis('.leaflet-control-scale'), panel: vis('#panel') };
  });
  check(pr.head && pr.title && pr.filters && pr.date && pr.legend && pr.scale && !pr.panel, 'print layout: title, filters, data date, legend and scale bar; no panel', `${pr.title} | ${pr.filters} | ${pr.date}`);
  await page.emulateMedia({ media: 'screen' });
  await page.close();

  // ---------------------------------------------------------------- emerging hot spots (public, then planner)
  {
    const pe = await ctx.newPage();
    const we = watch(pe);
    await pe.goto(`${BASE}/#l=areas`, { waitUntil: 'domcontentloaded' });
    await waitReady(pe);
    await settle(pe, 300);
    await checkEmerging(pe, we, 'public emerging', false);
    await pe.evaluate(() => { const b = window.hazmap.cfg.bounds; if (b) window.hazmap.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false }); });
    await settle(pe, 500);
    await pe.screenshot({ path: path.join(SHOTS, 'emerging-public.png') });
    info(`screenshot ${path.join(SHOTS, 'emerging-public.png')}`);
    check(we.errors.length === 0, 'public emerging: no console errors', we.errors.slice(0, 3).join(' | '));
    await pe.close();
    if (TOKEN) {
      const pq = await plannerPage();
      const wq = watch(pq);
      await pq.goto(`${BASE}/#l=areas`, { waitUntil: 'domcontentloaded' });
      await waitReady(pq);
      await settle(pq, 300);
      await checkEmerging(pq, wq, 'planner emerging', true);
      await pq.evaluate(() => { const b = window.hazmap.cfg.bounds; if (b) window.hazmap.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false }); });
      await settle(pq, 500);
      await pq.screenshot({ path: path.join(SHOTS, 'emerging-planner.png') });
      info(`screenshot ${path.join(SHOTS, 'emerging-planner.png')}`);
      check(wq.errors.length === 0, 'planner emerging: no console errors', wq.errors.slice(0, 3).join(' | '));
      await pq.close();
    }
  }

  // ---------------------------------------------------------------- traffic working group (issue 10)
  // Choosing the traffic group shows its screened road sites, ranked (junctions as circles, sections
  // as thick lines) with a side list of observed, predicted and expected crashes and the rule met;
  // the network density layer replaces the planar density and draws coloured roads.
  if (TOKEN) {
    const pt = await plannerPage();
    const wt = watch(pt);
    await pt.goto(`${BASE}/#l=areas,density&v=14/30.65500/104.08000`, { waitUntil: 'domcontentloaded' });
    await waitReady(pt);
    await settle(pt, 300);
    await pt.selectOption('#f-group', 'traffic');
    await pt.waitForFunction(() => { const i = window.hazmap.layers.info.roadsites; return i && (i.ok || i.error); }, null, { timeout: 90000 }).catch(() => {});
    await settle(pt, 300);
    const rs = await pt.evaluate(() => ({
      info: window.hazmap.layers.info.roadsites || null,
      items: [...document.querySelectorAll('#rs-list .rs-item')].map((b) => b.textContent),
      hidden: document.getElementById('rs-section').hidden,
      drawn: document.querySelectorAll('.leaflet-roadsites-pane path').length,
      circles: document.querySelectorAll('.leaflet-roadsites-pane path.rs-junction').length,
      lines: document.querySelectorAll('.leaflet-roadsites-pane path.rs-section').length,
      hash: location.hash,
    }));
    const sreq = wt.requests.find((r) => r.url().includes('/collections/road_sites/items'));
    check(!!rs.info && rs.info.ok && rs.info.n > 0 && rs.drawn > 0 && !rs.hidden && rs.items.length > 0 && rs.hash.includes('roadsites'),
      'traffic view: the screened road sites are drawn (circles and lines) and listed', `${rs.info ? JSON.stringify(rs.info) : 'none'}; ${rs.circles} circles, ${rs.lines} lines, ${rs.items.length} listed`);
    check(!!sreq && TRAFFIC_GROUPS.includes(new URL(sreq.url()).searchParams.get('mechanism')) && /^Bearer /.test((await sreq.allHeaders()).authorization || ''),
      'traffic view: road sites asked with the traffic filter and the token', sreq ? sreq.url().replace(BASE, '') : 'no request');
    const first = rs.items[0] || '';
    check(/观测\s*\d/.test(first) && /预测\s*[\d.]/.test(first) && /期望\s*[\d.]/.test(first) && /12 个月内|无/.test(first),
      'traffic view: the side list shows observed, predicted and expected crashes and the rule met', first.replace(/\s+/g, ' ').slice(0, 120));
    await pt.locator('#rs-list .rs-item').first().click().catch(() => {});
    await settle(pt, 300);
    const pop = await pt.locator('.rs-popup').innerText({ timeout: 2000 }).catch(() => '');
    check(/排名\s*1/.test(pop) && /超额/.test(pop), 'traffic view: a list click zooms to the site and opens its popup (rank, EB figures, rules)', pop.replace(/\s+/g, ' ').slice(0, 120));
    await pt.keyboard.press('Escape');
    // the network density instead of the planar one
    const bNet = wt.requests.length;
    await pt.locator('#layer-network').check();
    await pt.waitForFunction(() => { const i = window.hazmap.layers.info.network; return i && (i.ok || i.error); }, null, { timeout: 90000 }).catch(() => {});
    await settle(pt, 1500);
    const net = await pt.evaluate(() => {
      const imgs = [...document.querySelectorAll('.leaflet-network-pane img.leaflet-tile-loaded')];
      let drawn = 0;
      for (const img of imgs) {
        const c = document.createElement('canvas');
        c.width = c.height = 256;
        const g = c.getContext('2d');
        try { g.drawImage(img, 0, 0); } catch { continue; }
        const d = g.getImageData(0, 0, 256, 256).data;
        for (let k = 3; k < d.length; k += 4) if (d[k] > 0) { drawn++; break; }
      }
      return {
        info: window.hazmap.layers.info.network || null, n: imgs.length, drawn,
        density: !!window.hazmap.layers.groups.density || document.getElementById('layer-density').checked,
        legend: (document.querySelector('.legend .lg-net') || {}).textContent || '',
        hash: location.hash,
      };
    });
    const nreq = wt.requests.slice(bNet).filter((r) => /\/tiles\/network\/\d+\/\d+\/\d+\.png/.test(r.url()));
    check(!!net.info && net.info.ok && net.n > 0 && net.drawn > 0, 'traffic view: the network density layer draws coloured roads', `${net.drawn} of ${net.n} tiles drawn; ${nreq.length} tile requests`);
    check(!net.density && net.hash.includes('network') && !/(^|[=,])density(,|&|$)/.test(net.hash), 'traffic view: the network density replaces the planar density (one at a time, kept in the URL)', net.hash);
    check(/\d/.test(net.legend) && nreq.length > 0 && nreq.every((r) => TRAFFIC_GROUPS.includes(new URL(r.url()).searchParams.get('mechanism'))),
      'traffic view: the network legend shows its classes; the tiles carry the traffic filter', net.legend.slice(0, 80));
    await pt.screenshot({ path: path.join(SHOTS, 'traffic.png') });
    info(`screenshot ${path.join(SHOTS, 'traffic.png')}`);
    check(wt.errors.length === 0, 'traffic view: no console errors', wt.errors.slice(0, 3).join(' | '));
    await pt.close();
  }

  // ---------------------------------------------------------------- working groups (planners): same requests as before
  if (TOKEN) {
    const pgw = await plannerPage();
    const ww = watch(pgw);
    await pgw.goto(`${BASE}/#l=areas,density,blackspots&v=13/30.64000/104.09000`, { waitUntil: 'domcontentloaded' });
    await waitReady(pgw);
    await settle(pgw, 300);
    check(await pgw.evaluate(() => window.hazmap.cfg.role === 'planner' && !document.getElementById('planner-filters').hidden && document.getElementById('f-year-l').hidden),
      'planner: the planners\' filters are shown, the public year selector is not');
    const page = pgw, w = ww; // the checks below were written for these names
    // The selectors offer the server's vocabularies (/api/config), and every working group's words are in them.
    {
      const v = await page.evaluate(() => ({
        voc: window.hazmap.cfg.vocabularies || {},
        mech: [...document.querySelectorAll('#f-group option')].map((o) => o.value).filter((x) => x.startsWith('m.')).map((x) => x.slice(2)),
        sev: [...document.querySelectorAll('#f-sev input')].map((x) => x.value),
        sex: [...document.querySelectorAll('#f-sex option')].map((o) => o.value).filter(Boolean),
      }));
      const GROUPS = Object.fromEntries(((await page.evaluate(() => window.hazmap.cfg.groups)) || [])
        .filter((g) => g.working).map((g) => [g.key, Object.fromEntries(new URLSearchParams(g.filter))]));
      const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
      check(['mechanism', 'place', 'intent', 'severity', 'sex'].every((k) => Array.isArray(v.voc[k]) && v.voc[k].length > 0), '/api/config carries the five vocabularies', Object.keys(v.voc).join(', '));
      check(same(v.mech, v.voc.mechanism) && same(v.sev, v.voc.severity) && same(v.sex, v.voc.sex), 'mechanism, severity and sex selectors offer exactly the served words', `${v.mech.length} mechanisms, ${v.sev.length} severities, ${v.sex.length} sexes`);
      const stray = Object.entries(GROUPS).flatMap(([g, f]) => Object.entries(f).filter(([k]) => k in v.voc)
        .flatMap(([k, w]) => w.split(',').filter((x) => !v.voc[k].includes(x) && !(k === 'mechanism' && x === 'traffic')).map((x) => `${g}: ${k}=${x}`)));
      check(Object.keys(GROUPS).length === 10, '/api/config carries the ten working groups', Object.keys(GROUPS).join(', '));
      check(stray.length === 0, 'every working group filters by words of the served vocabularies (or the traffic alias)', stray.join('; '));
    }

    const values = await pgw.locator('#f-group option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    const got = {};
    for (const v of values) {
      const b = ww.requests.length;
      await pgw.selectOption('#f-group', v);
      await settle(pgw, 300);
      got[v] = apiRequests(ww.requests.slice(b));
    }
    if (process.env.RECORD_GROUP_REQUESTS) fs.writeFileSync(process.env.RECORD_GROUP_REQUESTS, JSON.stringify(got, null, 2) + '\n');
    if (GROUP_REQUESTS) {
      const want = Object.keys(GROUP_REQUESTS);
      check(JSON.stringify([...values].sort()) === JSON.stringify([...want].sort()), 'working groups: the selector offers the same options as before', `${values.length} options`);
      const diff = want.filter((k) => JSON.stringify(got[k]) !== JSON.stringify(GROUP_REQUESTS[k]));
      check(diff.length === 0, 'working groups: every option sends the same API requests as before (same incidents selected)',
        diff.length ? `${diff[0]}: ${JSON.stringify(got[diff[0]])} vs ${JSON.stringify(GROUP_REQUESTS[diff[0]])}` : `${want.length} options, ${want.reduce((n, k) => n + got[k].length, 0)} requests`);
    } else info(`working groups: no recorded requests to compare with; ${values.length} options`);
    check(ww.errors.length === 0, 'no console errors while going through the working groups', ww.errors.slice(0, 2).join(' | '));
    // The quarterly report button: the selected group's report of the data's last quarter, with the token.
    {
      await pgw.selectOption('#f-group', 'traffic');
      await settle(pgw, 300);
      const [popup, res] = await Promise.all([
        pgw.waitForEvent('popup', { timeout: 120000 }).catch(() => null),
        pgw.waitForResponse((r) => r.url().includes('/api/report?'), { timeout: 120000 }).catch(() => null),
        pgw.click('#report'),
      ]);
      const u = res ? new URL(res.url()) : null;
      // the report as the new tab shows it (from a blob: URL; the fetch's own body is not kept)
      let body = '', why = '';
      try {
        if (!popup) throw new Error('no new tab');
        await popup.waitForSelector('#headline', { timeout: 120000 });
        body = popup.url().startsWith('blob:') ? await popup.content() : '';
      } catch (e) { why = String(e.message || e).slice(0, 80); }
      check(!!res && res.status() === 200 && u.searchParams.get('group') === 'traffic' && /^\d{4}Q[1-4]$/.test(u.searchParams.get('quarter') || '') &&
        body.includes('<section id="headline">') && !body.includes('id="public-note"'),
      'the report button fetches the planners\' quarterly report of the selected group', res ? `${res.status()} ${u.search}, ${body.length} bytes${body.includes('id="public-note"') ? ', public' : ''} ${why}` : 'no /api/report request');
      if (popup) await popup.close();
    }
    await pgw.selectOption('#f-group', '');
    await settle(pgw, 300);
    // planner: a filter change reloads the tiles with the new parameters
    const before = w.requests.length;
    await page.selectOption('#f-group', 'traffic');
    await page.locator('#f-sev input[value=fatal]').check();
    await page.locator('#f-sev input[value=serious]').check();
    const reloaded = (u) => /mechanism=traffic/.test(u) && /severity=fatal(,|%2C)serious/.test(u);
    await until(() => {
      const urls = w.requests.slice(before).map((r) => r.url()).filter(reloaded);
      return urls.some(isTile) && urls.some((u) => u.includes('/collections/areas/items')) &&
        urls.some((u) => u.includes('/collections/blackspots/items'));
    });
    await settle(page, 600);
    const after = w.requests.slice(before).map((r) => r.url());
    const newTiles = after.filter((u) => isTile(u) && /mechanism=traffic(&|$|_occupant)/.test(u) && /severity=fatal(,|%2C)serious/.test(u));
    check(newTiles.length > 0, 'filter change reloads density tiles with the new parameters', newTiles[0] ? newTiles[0].replace(BASE, '') : `${after.length} requests`);
    check(after.some((u) => u.includes('/collections/areas/items') && u.includes('mechanism=traffic')), 'filter change reloads the areas with the new parameters');
    check(after.some((u) => u.includes('/collections/blackspots/items') && u.includes('mechanism=traffic')), 'filter change reloads the black spots with the new parameters');
    // Planner tiles are fetched with the token and shown through blob: URLs: the layer's URL is checked.
    const tileUrl = await page.evaluate(() => window.hazmap.layers.groups.density && window.hazmap.layers.groups.density._url);
    check(!!tileUrl && tileUrl.includes('mechanism=traffic') && /severity=fatal(,|%2C)serious/.test(tileUrl), 'planner: the density layer\'s tile URL carries the new filter', tileUrl || 'no density layer');

    // month window and slider
    const months = await page.evaluate(() => window.hazmap.months.length);
    if (months > 3) {
      const b2 = w.requests.length;
      await page.selectOption('#f-win', '3');
      await page.locator('#f-month').fill('2');
      await settle(page, 500);
      const urls = w.requests.slice(b2).map((r) => r.url()).filter(isTile);
      check(urls.some((u) => /from=\d{4}-\d{2}-01/.test(u) && /to=\d{4}-\d{2}-\d{2}/.test(u)), 'month slider puts from/to on the tiles', urls[0] ? urls[urls.length - 1].replace(BASE, '') : 'no tile request');
    } else info(`month slider not tested: data range gives ${months} months`);
    await pgw.close();
  } else info('no PLANNER_TOKEN: working-group and planner filter checks skipped');

  // ---------------------------------------------------------------- planner mode
  if (TOKEN) {
    const pp = await ctx.newPage();
    const wp = watch(pp);
    await pp.goto(`${BASE}/`, { waitUntil: 'domcontentloaded' });
    await waitReady(pp);
    await pp.fill('#token', TOKEN);
    const bLogin = wp.requests.length;
    await Promise.all([pp.waitForEvent('load', { timeout: 10000 }).catch(() => {}), pp.click('#login')]);
    await waitReady(pp);
    const role = await pp.evaluate(() => window.hazmap.cfg.role);
    check(role === 'planner', 'planner token -> planner mode', role);
    await settle(pp);
    await checkStreets(pp, { responses: wp.responses.slice(bLogin) }, 'planner', false);
    const sReq = wp.requests.slice(bLogin).filter((r) => isStreetTile(r.url()));
    check(sReq.length === 0 || !(await Promise.all(sReq.map(async (r) => (await r.allHeaders()).authorization))).some(Boolean),
      'planner: street tiles are plain public requests (no token sent)', `${sReq.length} street tile requests`);
    const inc = pp.locator('#layer-incidents');
    check(!(await inc.isDisabled()), 'planner: incident layer available');
    const b3 = wp.requests.length;
    await inc.check();
    await pp.waitForFunction(() => window.hazmap.layers.info.incidents, null, { timeout: 15000 }).catch(() => {});
    await settle(pp, 800);
    const ii = await pp.evaluate(() => window.hazmap.layers.info.incidents || null);
    const incReq = wp.requests.slice(b3).find((r) => r.url().includes('/collections/incidents/items'));
    const nPts = await pp.locator('.leaflet-marker-icon.marker-cluster, .leaflet-marker-pane .leaflet-marker-icon:not(.bs-icon), .leaflet-overlay-pane path.leaflet-interactive').count();
    check(!!incReq && incReq.url().includes('bbox=') && ii && ii.ok && ii.n > 0 && nPts > 0, 'planner: incidents load for the view (bbox), clustered', `${ii ? `${ii.n} of ${ii.matched}` : 'none'}, ${nPts} markers/clusters`);
    if (incReq) check(/^Bearer /.test((await incReq.allHeaders()).authorization || ''), 'planner: requests carry the Bearer token');
    const tReq = wp.requests.slice(bLogin).filter((r) => isTile(r.url()));
    const tAuth = [];
    for (const r of tReq.slice(0, 5)) tAuth.push(/^Bearer /.test((await r.allHeaders()).authorization || ''));
    check(tReq.length > 0 && tAuth.every(Boolean), 'planner: density tiles fetched with the Bearer header', `${tReq.length} tile requests`);
    await pp.screenshot({ path: path.join(SHOTS, 'planner.png') });
    info(`screenshot ${path.join(SHOTS, 'planner.png')}`);
    check(wp.errors.length === 0, 'no console errors in planner mode', wp.errors.slice(0, 3).join(' | '));
    await pp.close();
  } else info('no PLANNER_TOKEN: planner checks skipped');

  // ---------------------------------------------------------------- GCJ-02 basemap mode
  if (GCJ_BASE) {
    const pg = await ctx.newPage();
    const wg = watch(pg);
    await pg.goto(`${GCJ_BASE}/`, { waitUntil: 'domcontentloaded' });
    await waitReady(pg);
    await settle(pg, 500);
    const r = await pg.evaluate(() => {
      const h = window.hazmap;
      const l = h.layers.groups.areas && h.layers.groups.areas.getLayers()[0];
      if (!l) return null;
      const code = l.feature.properties.code;
      const orig = h.layers.areaFeatures.find((f) => f.properties.code === code).geometry;
      let ring = orig.type === 'Polygon' ? orig.coordinates[0] : orig.coordinates[0][0];
      let ll = l.getLatLngs();
      while (Array.isArray(ll[0])) ll = ll[0];
      const c = h.map.getCenter();
      return { gcj: h.layers.gcj, orig: ring[0], drawn: [ll[0].lng, ll[0].lat], z: h.map.getZoom(), c: [c.lng, c.lat],
        transform: h.map.getPane('density').style.transform, note: !document.getElementById('gcj-note').hidden };
    });
    if (r) {
      const exp = wgsToGcj(r.orig[0], r.orig[1]);
      const moved = Math.hypot(r.drawn[0] - r.orig[0], r.drawn[1] - r.orig[1]);
      check(r.gcj && Math.abs(r.drawn[0] - exp[0]) < 1e-9 && Math.abs(r.drawn[1] - exp[1]) < 1e-9 && moved > 1e-3,
        'gcj02 basemap: area vertices drawn at their GCJ-02 position', `moved ${(moved * 111000).toFixed(0)} m`);
      // Independent Web Mercator pixel offset of the GCJ shift at the view centre.
      const px = (lon, lat, z) => { const n = 256 * 2 ** r.z; const s = Math.sin(lat * Math.PI / 180); return [(lon + 180) / 360 * n, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n]; };
      const g = wgsToGcj(r.c[0], r.c[1]);
      const a = px(r.c[0], r.c[1]), b = px(g[0], g[1]);
      const m = /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec(r.transform || '');
      const ok = m && Math.abs(Number(m[1]) - (b[0] - a[0])) <= 1 && Math.abs(Number(m[2]) - (b[1] - a[1])) <= 1;
      check(!!ok && r.note, 'gcj02 basemap: density tiles translated by the GCJ offset (within 1 px) and the caveat shown', `${r.transform} vs ${(b[0] - a[0]).toFixed(1)},${(b[1] - a[1]).toFixed(1)} at z${r.z}`);
    } else check(false, 'gcj02 basemap: areas drawn');
    check(wg.errors.length === 0, 'no console errors in GCJ-02 basemap mode', wg.errors.slice(0, 2).join(' | '));
    await pg.close();
  }
} catch (e) {
  check(false, 'test run', e.stack || String(e));
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
const uniq = [...new Set(missing)];
if (uniq.length) info(`HTTP errors seen (missing or failing endpoints): ${uniq.slice(0, 12).join('; ')}`);
check(uniq.length === 0, 'every request the page made was answered without an HTTP error', `${uniq.length} distinct failures`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
