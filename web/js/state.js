// state.js - the page state (filters, layers, map view, language) and its round trip through the URL hash.
//
// The hash, not the query string, holds the state: the server answers unknown query parameters with
// 400, and the hash never reaches it. Example:
//   #g=traffic&sev=fatal,serious&win=3&m=2015-04&age=65-&sex=female&l=areas,density,blackspots&op=0.7&v=13/30.6412/104.0923&lang=en
//
// The words of the vocabularies (mechanism, place, intent, severity, sex) are the server's: /api/config
// carries them ("vocabularies", from geo/vocab.c) and the page offers and accepts those, never a copy.
// Their labels are in web/i18n ('m.WORD', 'sev.WORD', 'sex.WORD').
//
// Working groups of the Jinjiang Safe Community programme -> API filter parameters (filter.h).
// A group is one filter selection; the individual mechanisms are offered beside them ("m.WORD").
// The groups are the server's: /api/config carries them ("groups", from the one table of
// geo/wgroups.c: key, names, the filter as a query string, working) and setGroups() fills GROUPS
// from it when the page starts; the page holds no copy.
export const GROUPS = {};
/** Fills GROUPS ({key: {param: value}}) with the working groups of /api/config's "groups". */
export function setGroups(list) {
  for (const k of Object.keys(GROUPS)) delete GROUPS[k];
  for (const g of Array.isArray(list) ? list : []) {
    if (!g || !g.working || typeof g.key !== 'string' || typeof g.filter !== 'string') continue;
    GROUPS[g.key] = Object.fromEntries(new URLSearchParams(g.filter));
  }
}
// The public (no token) is answered only from the published release (API.md, issue 13): the maps
// take a year of the release and one injury group or place group, nothing else. The public's group
// selection is "FAMILY:LABEL" (pg in the hash, e.g. "injury_group:traffic"); the labels are the
// release's (/api/config's release). A working group shared in a planner's URL maps roughly onto one:
export const PUBLIC_OF_GROUP = {
  traffic: 'injury_group:traffic',
  fire: 'injury_group:fire',
  order: 'injury_group:violence',
  home: 'place_group:home',
  school: 'place_group:school',
  workplace: 'place_group:workplace',
  public: 'place_group:public',
};
export const PUBLIC_FAMILIES = ['injury_group', 'place_group'];
// The only parameters a public request may carry besides paging (limit, offset, bbox, f).
export const PUBLIC_PARAMS = ['year', ...PUBLIC_FAMILIES];
export const AGES = ['0-14', '15-24', '25-44', '45-64', '65-'];
export const WINDOWS = [0, 1, 3, 12];
export const LAYERS = ['areas', 'density', 'network', 'hotspots', 'emerging', 'blackspots', 'roadsites', 'incidents'];
// Layers computed live from the incidents on the road network (planners and editors; the public's
// would have to come from a published release): the network density, the alternative to the planar
// density (one of the two at a time), and the screened road sites of the traffic working group.
export const LIVE_LAYERS = ['network', 'roadsites'];
// The traffic working group's view: its road sites ranked, and the network density instead of the planar.
export const TRAFFIC_LAYERS = ['roadsites'];
// Gi* cell sizes offered (m). 250 m is the default: the server's "auto" rule can pick cells of a few
// tens of metres on dense data (tens of thousands of cells, megabytes of GeoJSON).
export const HS_CELLS = ['100', '250', '500', 'auto'];
// Time steps of the emerging hot spots (planners; the public's are the release's years). Month is the
// default: the sample's three years give 36 steps, enough for the Mann-Kendall trend (ArcGIS asks >= 10).
export const EM_STEPS = ['week', 'month', 'quarter', 'year'];

export function defaultState() {
  return {
    g: '', sev: [], age: '', sex: '', win: 0, m: '',
    l: ['areas', 'density', 'blackspots'], op: 0.7, hc: '250', es: 'month', v: null, lang: 'zh-CN',
    y: '', pg: '', // public: the release's year ('' = all its years) and group ('' = all)
  };
}

/** The words of one vocabulary ("mechanism", "severity", ...) in /api/config's vocabularies, [] if absent. */
export function words(vocab, name) {
  const w = vocab && vocab[name];
  return Array.isArray(w) ? w : [];
}

/** The working groups the page offers: the server's (setGroups()); their filters are its own words and aliases. */
export function availableGroups() {
  return Object.keys(GROUPS);
}

/**
 * Parses a hash string ("#a=b&...") into a state, ignoring anything malformed. vocab: /api/config's
 * vocabularies; without them no mechanism, severity or sex word is accepted (the groups are).
 */
export function parseHash(hash, vocab = null) {
  const s = defaultState();
  const p = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const g = p.get('g') || '';
  if (availableGroups(vocab).includes(g) || (g.startsWith('m.') && words(vocab, 'mechanism').includes(g.slice(2)))) s.g = g;
  if (p.has('sev')) s.sev = p.get('sev').split(',').filter((x) => words(vocab, 'severity').includes(x));
  if (AGES.includes(p.get('age'))) s.age = p.get('age');
  if (words(vocab, 'sex').includes(p.get('sex'))) s.sex = p.get('sex');
  const win = Number(p.get('win'));
  if (WINDOWS.includes(win)) s.win = win;
  if (/^\d{4}-\d{2}$/.test(p.get('m') || '')) s.m = p.get('m');
  if (p.has('l')) s.l = p.get('l').split(',').filter((x) => LAYERS.includes(x));
  const op = Number(p.get('op'));
  if (p.has('op') && Number.isFinite(op) && op >= 0 && op <= 1) s.op = op;
  const v = (p.get('v') || '').split('/').map(Number);
  if (v.length === 3 && v.every(Number.isFinite) && v[0] >= 0 && v[0] <= 22 && Math.abs(v[1]) <= 90 && Math.abs(v[2]) <= 180) s.v = v;
  if (HS_CELLS.includes(p.get('hc'))) s.hc = p.get('hc');
  if (EM_STEPS.includes(p.get('es'))) s.es = p.get('es');
  if (p.get('lang') === 'en') s.lang = 'en';
  if (/^\d{4}$/.test(p.get('y') || '')) s.y = p.get('y');
  const pg = p.get('pg') || '';
  if (PUBLIC_FAMILIES.some((f) => pg.startsWith(f + ':')) && /^[a-z_]+:[a-z0-9_]+$/.test(pg)) s.pg = pg;
  return s;
}

/** The hash of a state (stable key order, defaults left out). */
export function toHash(s) {
  const p = new URLSearchParams();
  if (s.g) p.set('g', s.g);
  if (s.sev.length) p.set('sev', s.sev.join(','));
  if (s.age) p.set('age', s.age);
  if (s.sex) p.set('sex', s.sex);
  if (s.win) p.set('win', String(s.win));
  if (s.win && s.m) p.set('m', s.m);
  p.set('l', s.l.join(','));
  p.set('op', String(s.op));
  if (s.hc !== '250') p.set('hc', s.hc);
  if (s.es && s.es !== 'month') p.set('es', s.es);
  if (s.v) p.set('v', `${s.v[0]}/${s.v[1].toFixed(5)}/${s.v[2].toFixed(5)}`);
  if (s.lang !== 'zh-CN') p.set('lang', s.lang);
  if (s.y) p.set('y', s.y);
  if (s.pg) p.set('pg', s.pg);
  return '#' + p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%3A/g, ':');
}

/** "YYYY-MM" plus n months. */
export function addMonths(ym, n) {
  const [y, m] = ym.split('-').map(Number);
  const t = y * 12 + (m - 1) + n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}

/** Months from a to b inclusive ("YYYY-MM" each). */
export function monthRange(a, b) {
  const out = [];
  for (let m = a; m <= b && out.length < 1200; m = addMonths(m, 1)) out.push(m);
  return out;
}

function lastDay(ym) {
  const [y, m] = ym.split('-').map(Number);
  return `${ym}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
}

/** The date range of the state: {from, to} as YYYY-MM-DD (to inclusive), or null for all data. */
export function dateRange(s) {
  if (!s.win || !s.m) return null;
  return { from: `${s.m}-01`, to: lastDay(addMonths(s.m, s.win - 1)) };
}

/** API filter parameters (filter.h names) of a state, as an ordered list of [key, value]. */
export function filterParams(s, { dates = true } = {}) {
  const f = {};
  if (GROUPS[s.g]) Object.assign(f, GROUPS[s.g]);
  else if (s.g.startsWith('m.')) f.mechanism = s.g.slice(2);
  if (s.sev.length) f.severity = s.sev.join(',');
  if (s.age && !f.age) f.age = s.age; // the elderly group's 65- wins over the age selector
  if (s.sex) f.sex = s.sex;
  const r = dates ? dateRange(s) : null;
  if (r) { f.from = r.from; f.to = r.to; }
  return Object.entries(f);
}

/** Query string ("a=b&c=d", no "?") of the filters plus extra entries. */
export function query(s, extra = {}, opts) {
  const p = new URLSearchParams(filterParams(s, opts));
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString().replace(/%2C/g, ',');
}

/** The public's parameters of a state (the release's dimensions only): [['year', Y], [FAMILY, LABEL]]. */
export function publicParams(s) {
  const out = [];
  if (s.y) out.push(['year', s.y]);
  const i = s.pg ? s.pg.indexOf(':') : -1;
  if (i > 0 && PUBLIC_FAMILIES.includes(s.pg.slice(0, i))) out.push([s.pg.slice(0, i), s.pg.slice(i + 1)]);
  return out;
}

/** Query string of the public's parameters plus extra entries (only year when areas: they take no group). */
export function publicQuery(s, extra = {}, { group = true } = {}) {
  const p = new URLSearchParams(publicParams(s).filter(([k]) => group || k === 'year'));
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString();
}
