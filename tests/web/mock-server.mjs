// mock-server.mjs - a stand-in for `hazmap serve` that follows API.md, for developing the page while the
// real server is not built. Synthetic numbers; strict about parameters (unknown -> 400) like the server.
// The public (no token) is answered, as by the server, only from a "release" (API.md's *_public
// sections): the maps take only year and one of injury_group, place_group (plus paging); the areas
// only year; any other public parameter, or a label the release does not have, is a 400.
// Usage: node tests/web/mock-server.mjs PORT [WEBDIR]   (token "planner-token" is a planner)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const port = Number(process.argv[2] || 8099);
const root = path.resolve(process.argv[3] || new URL('../../web', import.meta.url).pathname);
const areas = JSON.parse(fs.readFileSync(new URL('../../data/jinjiang_subdistricts.geojson', import.meta.url)));
const FILTERS = ['mechanism', 'place', 'intent', 'severity', 'sex', 'from', 'to', 'age', 'disability', 'area', 'weight', 'weights', 'activity', 'outcome'];
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml' };
const BOUNDS = [104.05, 30.57, 104.16, 30.67];
// What the real server's /api/config says (geo/vocab.c); a stand-in has to hold its own copy.
const VOCABULARIES = {
  mechanism: ['traffic_occupant', 'traffic_motorcyclist', 'traffic_pedal_cyclist', 'traffic_pedestrian', 'traffic_other', 'other_transport', 'fall', 'struck', 'cut_pierce', 'fire_flame', 'hot_substance', 'drowning', 'suffocation', 'poisoning', 'machinery', 'natural', 'bites_stings', 'firearm', 'electric', 'overexertion', 'other', 'unspecified'],
  place: ['home', 'road', 'school', 'workplace', 'public', 'other'],
  intent: ['unintentional', 'assault', 'self_harm', 'undetermined', 'legal_war'],
  severity: ['fatal', 'serious', 'minor', 'none'],
  sex: ['male', 'female'],
};

// The working groups of /api/config (geo/wgroups.c), a copy as for the vocabularies.
const GROUPS = [
  ['order', '社会治安', 'Public order', 'intent=assault', true], ['traffic', '交通安全', 'Road traffic', 'mechanism=traffic', true],
  ['fire', '消防安全', 'Fire', 'mechanism=fire_flame,hot_substance', true], ['workplace', '工作场所安全', 'Workplace', 'place=workplace', true],
  ['home', '居家安全', 'Home', 'place=home', true], ['elderly', '老年人安全', 'Elderly', 'age=65-', true],
  ['disabled', '残疾人安全', 'Disabled people', 'disability=yes', true], ['school', '学校安全', 'School', 'place=school', true],
  ['environment', '环境安全', 'Environment', 'mechanism=drowning,bites_stings,electric,poisoning,natural', true],
  ['public', '公共场所安全', 'Public places', 'place=public', true],
  ['surveillance', '伤害监测', 'Injury surveillance', '', false], ['publicity', '宣传教育', 'Publicity', '', false],
].map(([key, name_zh, name_en, filter, working]) => ({ key, name_zh, name_en, filter, working }));

// The release the public is shown (/api/config's release).
const RELEASE = {
  id: 1, first_quarter: '2012-Q1', last_quarter: '2016-Q4', from: '2012-01-01', until: '2017-01-01',
  years: ['2012', '2013', '2014', '2015', '2016'],
  injury_group: ['self_harm', 'violence', 'traffic', 'fall', 'fire', 'other'],
  place_group: ['home', 'school', 'workplace', 'public', 'road', 'other'],
};
const PAGING = ['limit', 'offset', 'bbox', 'f'];
// The 17 emerging hot spot patterns (geo/analysis/ehsa.c): name, fill, label, label_zh; no pattern last.
const EHSA = [
  ['new_hot', '#cb0800', 'New Hot Spot', '新热点'], ['consecutive_hot', '#bd6d5e', 'Consecutive Hot Spot', '连续热点'],
  ['intensifying_hot', '#e01709', 'Intensifying Hot Spot', '加剧热点'], ['persistent_hot', '#851400', 'Persistent Hot Spot', '持续热点'],
  ['diminishing_hot', '#f4a582', 'Diminishing Hot Spot', '减弱热点'], ['sporadic_hot', '#fac8b4', 'Sporadic Hot Spot', '零星热点'],
  ['oscillating_hot', '#d6604d', 'Oscillating Hot Spot', '振荡热点'], ['historical_hot', '#bfa7a1', 'Historical Hot Spot', '历史热点'],
  ['new_cold', '#0008cb', 'New Cold Spot', '新冷点'], ['consecutive_cold', '#5e6dbd', 'Consecutive Cold Spot', '连续冷点'],
  ['intensifying_cold', '#0917e0', 'Intensifying Cold Spot', '加剧冷点'], ['persistent_cold', '#001485', 'Persistent Cold Spot', '持续冷点'],
  ['diminishing_cold', '#82a5f4', 'Diminishing Cold Spot', '减弱冷点'], ['sporadic_cold', '#b4c8fa', 'Sporadic Cold Spot', '零星冷点'],
  ['oscillating_cold', '#4d60d6', 'Oscillating Cold Spot', '振荡冷点'], ['historical_cold', '#a1a7bf', 'Historical Cold Spot', '历史冷点'],
  ['no_pattern', '#e6e6e6', 'No Pattern Detected', '未检测到模式'],
];
// The steps of each emerging time step over the mock's data (2012-2016).
const EM_STEPS = {
  week: () => Array.from({ length: 261 }, (_, i) => `W${i + 1}`),
  month: () => Array.from({ length: 60 }, (_, i) => `${2012 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`),
  quarter: () => Array.from({ length: 20 }, (_, i) => `${2012 + Math.floor(i / 4)}-Q${(i % 4) + 1}`),
  year: () => RELEASE.years.slice(),
};

function hash(s) { let h = 2166136261; for (const c of s) { h ^= c.charCodeAt(0); h = Math.imul(h, 16777619); } return (h >>> 0) / 4294967296; }
function send(res, code, body, type = 'application/json') {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': b.length });
  res.end(b);
}
function bad(res, d) { send(res, 400, { code: 'InvalidParameterValue', description: d }); }

function crc32(buf) { let c, crc = 0xffffffff; for (let n = 0; n < buf.length; n++) { c = (crc ^ buf[n]) & 0xff; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; crc = (crc >>> 8) ^ c; } return (crc ^ 0xffffffff) >>> 0; }
function chunk(type, data) { const l = Buffer.alloc(4); l.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc32(td)); return Buffer.concat([l, td, c]); }
function png(z, x, y, seed) {
  const raw = Buffer.alloc(256 * (256 * 4 + 1));
  const n = 2 ** z;
  for (let j = 0; j < 256; j++) {
    raw[j * 1025] = 0;
    for (let i = 0; i < 256; i++) {
      const lon = ((x + i / 256) / n) * 360 - 180;
      const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * (y + j / 256)) / n))) * 180) / Math.PI;
      const d = Math.hypot(lon - 104.09 - seed * 0.02, (lat - 30.63) * 1.15);
      const v = Math.max(0, 1 - d / 0.03);
      const o = j * 1025 + 1 + i * 4;
      raw[o] = 255; raw[o + 1] = Math.round(200 * (1 - v)); raw[o + 2] = 0; raw[o + 3] = v > 0.05 ? Math.round(60 + 180 * v) : 0;
    }
  }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(256, 0); ihdr.writeUInt32BE(256, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Checks a public request's parameters as the server does: only `keys` (and the release's labels for
 * year and the groups; one group at most). Answers 400 and returns null when one is not allowed, else
 * the view's key (for the synthetic numbers).
 */
function publicView(res, q, keys) {
  let groups = 0;
  for (const [k, v] of q) {
    if (!keys.includes(k)) { bad(res, `${k}: the public maps come from the published release and may be asked only by ${keys.filter((x) => !PAGING.includes(x)).join(', ')}`); return null; }
    if (k === 'year' && !RELEASE.years.includes(v)) { bad(res, `year: '${v}' is not one year of the release (${RELEASE.years.join(', ')})`); return null; }
    if ((k === 'injury_group' || k === 'place_group') && (++groups > 1 || !RELEASE[k].includes(v))) { bad(res, `${k}: '${v}' is not one group of the release, or two groups were asked`); return null; }
  }
  return `release=${RELEASE.id}&year=${q.get('year') || ''}&ig=${q.get('injury_group') || ''}&pg=${q.get('place_group') || ''}`;
}
const VIEW = ['year', 'injury_group', 'place_group'];
function square(lon, lat) {
  const dx = 200 / (111320 * Math.cos((lat * Math.PI) / 180)), dy = 200 / 110574;
  return { type: 'Polygon', coordinates: [[[lon, lat], [lon + dx, lat], [lon + dx, lat + dy], [lon, lat + dy], [lon, lat]]] };
}

function filterKey(q) { return FILTERS.map((k) => `${k}=${q.get(k) || ''}`).join('&'); }
function fc(features) { return { type: 'FeatureCollection', features, numberMatched: features.length, numberReturned: features.length }; }

http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const q = u.searchParams;
  const planner = (req.headers.authorization || '') === 'Bearer planner-token';
  const allow = (extra) => { for (const k of q.keys()) if (!FILTERS.includes(k) && !extra.includes(k)) { bad(res, `unknown parameter ${k}`); return false; } return true; };
  const fk = filterKey(q);
  const p = u.pathname;
  process.stdout.write(`${req.method} ${req.url} ${planner ? 'planner' : 'public'}\n`);
  // MOCK_MISSING=config,tiles,hotspots,...: answer 404 there, to see the page degrade.
  if ((process.env.MOCK_MISSING || '').split(',').some((m) => m && p.includes(m))) return send(res, 404, { code: 'NotFound', description: p });
  if (p === '/api/config') {
    const cfg = { title: 'hazmap', role: planner ? 'planner' : 'public', groups: GROUPS, min_count: 10, min_bandwidth: 300, basemap: process.env.MOCK_GCJ ? { url: '/tiles/density/{z}/{x}/{y}.png', attribution: 'test', gcj02: true } : null, bounds: BOUNDS, data_version: planner ? 3 : RELEASE.id, data_from: '2012-01-01', data_to: '2016-12-31', vocabularies: VOCABULARIES };
    if (!planner) cfg.release = RELEASE;
    return send(res, 200, cfg);
  }
  // The quarterly report (issue 12): a stand-in page with the real one's headline section (and its
  // public note without a token).
  if (p === '/api/report') {
    for (const k of q.keys()) if (!['group', 'quarter', 'lang', 'f'].includes(k)) return bad(res, `unknown parameter ${k}`);
    if (!/^\d{4}Q[1-4]$/.test(q.get('quarter') || '')) return bad(res, 'quarter: YYYYQn');
    return send(res, 200, `<!doctype html><meta charset="utf-8"><title>report</title>${planner ? '' : '<p id="public-note">public</p>'}<section id="headline"><h2>${q.get('group')} ${q.get('quarter')}</h2></section>`, 'text/html; charset=utf-8');
  }
  // The projects registry (issue 12): none here (the page's projects are tested on the real server, projweb.sh).
  if (p === '/api/projects' || p === '/collections/projects/items') {
    for (const k of q.keys()) if (!['limit', 'offset', 'group', 'status', 'bbox'].includes(k)) return bad(res, `unknown parameter ${k}`);
    return send(res, 200, p === '/api/projects' ? { projects: [], numberMatched: 0, numberReturned: 0 } : { type: 'FeatureCollection', features: [], numberMatched: 0, numberReturned: 0 });
  }
  if (p === '/tiles/density/legend.json' || p === '/tiles/density.json' || p === '/api/density.tif') {
    if (planner ? !allow(['kernel', 'bandwidth']) : publicView(res, q, VIEW) === null) return;
    if (p === '/api/density.tif') return send(res, 200, Buffer.from('II*\0'), 'image/tiff');
    if (p === '/tiles/density.json') return send(res, 200, { tilejson: '3.0.0', name: 'density', tiles: [`/tiles/density/{z}/{x}/{y}.png${u.search}`], minzoom: 10, maxzoom: 19, bounds: BOUNDS, legend: `/tiles/density/legend.json${u.search}`, ...(planner ? {} : { release: RELEASE.id }) });
    return send(res, 200, { unit: 'incidents per km² per year', breaks: [1, 2, 5, 10, 20, 50, 100], colors: ['#ffffb2cc', '#fed976cc', '#feb24ccc', '#fd8d3ccc', '#fc4e2acc', '#e31a1ccc', '#b10026cc'], ...(planner ? {} : { release: RELEASE.id }) });
  }
  // Roads (issue 10): the street tiles and the roads collection are public and take no filter; the
  // network density tiles, their legend and road_sites are the planners' (401 for the public).
  let r = p.match(/^\/tiles\/roads\/(\d+)\/(\d+)\/(\d+)\.png$/);
  if (r) {
    if ([...q.keys()].length) return bad(res, 'the street tiles take no parameter');
    return send(res, 200, png(+r[1], +r[2], +r[3], 0.3), 'image/png');
  }
  if (p === '/collections/roads/items') {
    for (const k of q.keys()) if (!PAGING.includes(k)) return bad(res, `unknown parameter ${k}`);
    return send(res, 200, fc([{ type: 'Feature', id: 1, geometry: { type: 'LineString', coordinates: [[104.08, 30.63], [104.1, 30.63]] },
      properties: { id: 1, name: '东大街', class: 'primary', oneway: 0, lanes: null, length_m: 1913.4 } }]));
  }
  if (p.startsWith('/tiles/network/') || p.startsWith('/collections/road_sites')) {
    if (!planner) return send(res, 401, { code: 'Unauthorized', description: 'planners and editors only' });
    if (!allow(['bandwidth', 'limit', 'offset', 'rank', 'bbox'])) return;
    if (p === '/tiles/network/legend.json') return send(res, 200, { unit: 'incidents per km of road per year', breaks: [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50], colors: ['#ffffcc66', '#ffeda076', '#fed97686', '#feb24c96', '#fd8d3ca6', '#fc4e2ab6', '#e31a1cc6', '#bd0026d6', '#800026e6'], network: { lixels: 100, nonzero_lixels: 50 } });
    r = p.match(/^\/tiles\/network\/(\d+)\/(\d+)\/(\d+)\.png$/);
    if (r) return send(res, 200, png(+r[1], +r[2], +r[3], hash(fk) - 0.5), 'image/png');
    const eb = (c) => ({ predicted: c / 4, k: 1, weight: 0.1, expected: c * 0.9, excess: c * 0.65 });
    return send(res, 200, fc([
      { type: 'Feature', id: 1, geometry: { type: 'LineString', coordinates: [[104.08, 30.64], [104.09, 30.645]] }, properties: { rank: 1, kind: 'section', id: 'S1', name: '东大街', count: 40, eb: eb(40), length_m: 900, rules: [{ rule: 'any', threshold: 10, crashes: 10 }] } },
      { type: 'Feature', id: 2, geometry: { type: 'Point', coordinates: [104.1, 30.65] }, properties: { rank: 2, kind: 'junction', id: 'J1', name: null, count: 20, eb: eb(20), rules: [] } },
    ]));
  }
  let m = p.match(/^\/tiles\/density\/(\d+)\/(\d+)\/(\d+)\.png$/);
  if (m) {
    const key = planner ? (allow(['kernel', 'bandwidth']) ? fk : null) : publicView(res, q, VIEW);
    if (key === null) return;
    return send(res, 200, png(+m[1], +m[2], +m[3], hash(key) - 0.5), 'image/png');
  }
  if (p === '/collections/areas/items' && !planner) {
    if (publicView(res, q, ['year', ...PAGING]) === null) return;
    const year = q.get('year') || RELEASE.years[RELEASE.years.length - 1];
    return send(res, 200, { ...fc(areas.features.map((f) => {
      const count = Math.floor(hash(f.properties.code + year) * 120);
      const rate = (count / f.properties.population) * 1e5;
      const sup = count < 10;
      return { ...f, properties: { ...f.properties, year, exposure_years: 1, count: sup ? null : count, count_lo: sup ? null : count - 6, count_hi: sup ? null : count + 6,
        rate: sup ? null : rate, rate_lo: sup ? null : rate * 0.8, rate_hi: sup ? null : rate * 1.2, suppressed: sup } };
    })), provenance: { release: RELEASE.id, year, method: 'noisy counts of the release (mock)', interval: '95 %' } }, 'application/geo+json');
  }
  if (p === '/collections/areas/items') {
    if (!allow(['limit', 'offset', 'bbox', 'datetime'])) return;
    return send(res, 200, fc(areas.features.map((f) => {
      const count = Math.floor(hash(f.properties.code + fk) * 120);
      const rate = (count / f.properties.population / 5) * 1e5;
      const sup = !planner && count < 10;
      return { ...f, properties: { ...f.properties, count: sup ? null : count, rate: sup ? null : rate, rate_lo: sup ? null : rate * 0.8, rate_hi: sup ? null : rate * 1.2, unstable: count < 20, suppressed: sup } };
    })), 'application/geo+json');
  }
  if (p === '/collections/hotspots/items') {
    const hk = planner ? (allow(['limit', 'offset', 'bbox', 'datetime', 'cell', 'shape', 'band', 'weights', 'star']) ? fk : null) : publicView(res, q, [...VIEW, ...PAGING]);
    if (hk === null) return;
    const cls = ['hot99', 'hot95', 'hot90', 'ns', 'ns', 'ns', 'cold90', 'cold95', 'cold99'];
    const feats = [];
    for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) {
      const x0 = BOUNDS[0] + c * 0.0055, y0 = BOUNDS[1] + r * 0.005;
      const k = cls[Math.floor(hash(`${r},${c}${hk}`) * cls.length)];
      feats.push({ type: 'Feature', properties: { count: 5, z: 2.1, p: 0.03, class: k, row: r, col: c }, geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x0 + 0.0055, y0], [x0 + 0.0055, y0 + 0.005], [x0, y0 + 0.005], [x0, y0]]] } });
    }
    return send(res, 200, fc(feats), 'application/geo+json');
  }
  m = p.match(/^\/collections\/emerging\/items(?:\/(\d+))?$/);
  if (m) {
    // Emerging hot spots (issue 17): planners by filters and step (items without series, an item
    // with it); the public by group only, yearly over the release's years, series in the list.
    if (!planner && q.has('year')) return bad(res, 'year: the emerging hot spots are a trend over every year of the release');
    const ek = planner ? (allow(['limit', 'offset', 'bbox', 'step', 'cell', 'shape', 'band', 'time_lag']) ? `${fk}&step=${q.get('step') || 'month'}` : null) : publicView(res, q, [...VIEW, ...PAGING]);
    if (ek === null) return;
    const step = planner ? q.get('step') || 'month' : 'year';
    if (!EM_STEPS[step]) return bad(res, `step: '${step}' is not one of week, month, quarter, year`);
    const steps = EM_STEPS[step]();
    const feats = [];
    for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) {
      const id = r * 20 + c + 1;
      if (m[1] && Number(m[1]) !== id) continue;
      const x0 = BOUNDS[0] + c * 0.0055, y0 = BOUNDS[1] + r * 0.005;
      const h = hash(`e${r},${c}${ek}`);
      const [pattern, colour, label, labelZh] = h < 0.7 ? EHSA[16] : EHSA[Math.floor(((h - 0.7) / 0.3) * 16)];
      const hot = pattern.endsWith('_hot') ? 1 : pattern.endsWith('_cold') ? -1 : 0;
      const series = { step: steps, count: [], z: [], q: [], class: [] };
      steps.forEach((_, i) => {
        const cnt = Math.floor(hash(`c${id}${i}${ek}`) * 12);
        const z = hot * (1 + 2 * hash(`z${id}${i}`)) + (hash(`n${id}${i}`) - 0.5);
        series.count.push(!planner && cnt < 3 ? null : cnt);
        series.z.push(Math.round(z * 1e4) / 1e4);
        series.q.push(Math.abs(z) > 1.96 ? 0.03 : 0.4);
        series.class.push(Math.abs(z) > 1.96 ? Math.sign(z) : 0);
      });
      const props = { pattern, label, label_zh: labelZh, colour, count: series.count.reduce((a, v) => a + (v || 0), 0),
        trend_count: { s: 3, z: 0.4, p: 0.6, tau: 0.1 }, trend_z: { s: hot * 9, z: hot * 2.2, p: 0.03, tau: hot * 0.3 },
        hot_steps: series.class.filter((k) => k === 1).length, cold_steps: series.class.filter((k) => k === -1).length, row: r, col: c };
      if (m[1] || !planner) props.series = series;
      if (!planner) props.suppressed = false;
      feats.push({ type: 'Feature', id, properties: props, geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x0 + 0.0055, y0], [x0 + 0.0055, y0 + 0.005], [x0, y0 + 0.005], [x0, y0]]] } });
    }
    if (m[1]) return feats.length ? send(res, 200, feats[0], 'application/geo+json') : send(res, 404, { code: 'NotFound', description: p });
    return send(res, 200, { ...fc(feats), provenance: { step, first_step: steps[0], last_step: steps[steps.length - 1], steps: steps.length, method: 'mock' } }, 'application/geo+json');
  }
  if ((p === '/collections/blackspots/items' || p === '/api/blackspots') && !planner) {
    const key = publicView(res, q, [...VIEW, ...(p === '/api/blackspots' ? [] : PAGING)]);
    if (key === null) return;
    // Released black spots: 200 m squares of the release's grid, noisy count and interval, no score.
    const feats = [];
    for (let i = 1; i <= 8; i++) {
      const lon = 104.06 + hash(`x${i}${key}`) * 0.08, lat = 30.59 + hash(`y${i}${key}`) * 0.06;
      const count = 60 - i * 5;
      feats.push({ type: 'Feature', id: i, geometry: square(lon, lat), properties: { rank: i, count, count_lo: count - 7, count_hi: count + 7, per_year: count / 5, square_m: 200 } });
    }
    return send(res, 200, { ...fc(feats.slice(0, Number(q.get('limit') || 100))), provenance: { release: RELEASE.id, view: key, rule: 'mock' } }, 'application/geo+json');
  }
  if (p === '/collections/blackspots/items') {
    if (!allow(['limit', 'offset', 'bbox', 'datetime', 'eps', 'min_points'])) return;
    const feats = [];
    for (let i = 1; i <= 8; i++) {
      const lon = 104.06 + hash(`x${i}${fk}`) * 0.08, lat = 30.59 + hash(`y${i}${fk}`) * 0.06;
      const count = 40 - i * 4;
      const sup = !planner && count < 10;
      feats.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { rank: i, count: sup ? null : count, suppressed: sup, score: sup ? null : count * 3.5, radius_m: 45,
        severity: sup ? null : { fatal: 1, serious: 3, minor: count - 6, none: 2, unknown: 0 }, hours: sup ? null : Array.from({ length: 24 }, (_, h) => Math.round(5 * Math.sin(h / 4) + 5)), weekdays: sup ? null : [3, 4, 5, 4, 6, 2, 1],
        mechanisms: sup ? null : { traffic: count - 2, fall: 2 }, trend: sup ? null : { 2012: 3, 2013: 5, 2014: 8, 2015: 6, 2016: 4 },
        hull: { type: 'Polygon', coordinates: [[[lon - 0.0004, lat - 0.0004], [lon + 0.0004, lat - 0.0004], [lon, lat + 0.0005], [lon - 0.0004, lat - 0.0004]]] } } });
    }
    return send(res, 200, fc(feats.slice(0, Number(q.get('limit') || 100))), 'application/geo+json');
  }
  if (p === '/collections/incidents/items') {
    if (!planner) return send(res, 401, { code: 'Unauthorized', description: 'planner token required' });
    if (!allow(['limit', 'offset', 'bbox', 'datetime'])) return;
    const b = (q.get('bbox') || BOUNDS.join(',')).split(',').map(Number);
    const feats = Array.from({ length: 300 }, (_, i) => ({ type: 'Feature', id: i + 1, geometry: { type: 'Point', coordinates: [b[0] + hash(`a${i}`) * (b[2] - b[0]), b[1] + hash(`b${i}`) * (b[3] - b[1])] }, properties: { id: i + 1, mechanism: 'traffic', severity: ['fatal', 'serious', 'minor', 'none'][i % 4], time: '2014-05-01T08:00:00+08:00' } }));
    return send(res, 200, { ...fc(feats), numberMatched: 1234 }, 'application/geo+json');
  }
  if (p === '/api/evaluate' && !planner) {
    if (publicView(res, q, ['area', 'start', 'before_days', 'after_days', 'injury_group', 'place_group']) === null) return;
    if (!q.get('area') || !q.get('start')) return bad(res, 'area and start required');
    if (!/^\d{4}-(01|04|07|10)-01$/.test(q.get('start')) || (!q.get('injury_group') && !q.get('place_group') && !q.get('start').endsWith('-01-01'))) return bad(res, 'start: the first day of one of the release\'s years (or, with a group, quarters)');
    const arm = (from, to, count) => ({ from, to, first_period: from.slice(0, 4), last_period: from.slice(0, 4), periods: 1, exposure_years: 1, count, suppressed: false, rate: count / 0.4, rate_lo: count / 0.5, rate_hi: count / 0.33 });
    return send(res, 200, { release: RELEASE.id, area: q.get('area'), table: 'subdistrict_year', before: arm('2013-01-01', '2014-01-01', 80), after: arm('2014-01-01', '2015-01-01', 52), rr: 0.65, rr_lo: 0.46, rr_hi: 0.92, method: 'mock' });
  }
  if (p === '/api/stats' && !planner) {
    if (publicView(res, q, ['area', 'year', 'quarter', 'injury_group', 'place_group', 'severity_group', 'age_band', 'sex', 'by']) === null) return;
    return send(res, 200, { release: RELEASE.id, table: 'subdistrict_year', withheld_below: 10, rows: areas.features.map((f) => ({ area: f.properties.code, area_name: f.properties.name, count: 40, lo: 34, hi: 46, withheld: false })) });
  }
  if (p === '/api/evaluate') {
    if (!allow(['start', 'before_days', 'after_days', 'compare'])) return;
    if (!q.get('area') || !q.get('start')) return bad(res, 'area and start required');
    const b = { from: '2013-01-01', to: '2013-12-31', count: 80, person_years: 40000, rate: 200 }, a = { from: '2014-01-01', to: '2014-12-31', count: 52, person_years: 40000, rate: 130 };
    return send(res, 200, { area: q.get('area'), start: q.get('start'), before: b, after: a, rr: 0.65, rr_lo: 0.46, rr_hi: 0.92, comparison: null, rrr: null, rrr_lo: null, rrr_hi: null });
  }
  if (p.startsWith('/api/') || p.startsWith('/collections') || p.startsWith('/tiles/')) return send(res, 404, { code: 'NotFound', description: p });
  let f = path.join(root, decodeURIComponent(p === '/' ? '/index.html' : p));
  if (!f.startsWith(root) || !fs.existsSync(f) || !fs.statSync(f).isFile()) return send(res, 404, { code: 'NotFound', description: p });
  send(res, 200, fs.readFileSync(f), MIME[path.extname(f)] || 'application/octet-stream');
}).listen(port, '127.0.0.1', () => process.stdout.write(`mock listening on ${port}\n`));
