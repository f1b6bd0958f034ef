// main.js - the map page: builds the panel, the Leaflet map and the layers, and keeps the URL hash in sync.
import { AGES, WINDOWS, LAYERS, LIVE_LAYERS, TRAFFIC_LAYERS, HS_CELLS, EM_STEPS, PUBLIC_OF_GROUP, GROUPS, setGroups, availableGroups, words, parseHash, toHash, monthRange, dateRange, filterParams, publicParams } from './state.js';
import { getConfig, getJSON, getToken, setToken, authHeaders } from './api.js';
import { setLang, t, num, lang } from './i18n.js';
import { LayerSet, excessColor, siteExcess, rulesMet } from './layers.js';
import { streetLayer } from './roads.js';
import { esc, beforeAfter } from './charts.js';
import { Projects } from './projects.js';

const L = window.L;
const $ = (id) => document.getElementById(id);

const page = {
  state: null, // parsed from the hash once /api/config has given the vocabularies
  cfg: null, map: null, layers: null, months: [], playTimer: null, ready: false,
};
window.hazmap = page; // for the browser tests and for debugging from the console

function setState(patch, { reload = true } = {}) {
  Object.assign(page.state, patch);
  const h = toHash(page.state);
  if (h !== location.hash) history.replaceState(null, '', h);
  if (reload && page.layers) page.layers.update({ ...page.state });
  updatePeriod();
  updatePrintHead();
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

/** The label of a vocabulary word (web/i18n key prefix + word), or the word itself when it has none. */
function wordLabel(prefix, w) {
  const s = t(prefix + w);
  return s === prefix + w ? w : s;
}

/** The public page: answered only from the published release (no token). */
function isPublic() {
  return !page.cfg || (page.cfg.role !== 'planner' && page.cfg.role !== 'editor');
}

/** The release the public is shown (/api/config's release), with empty lists when there is none. */
function release() {
  const r = (page.cfg && page.cfg.release) || {};
  const list = (x) => (Array.isArray(x) ? x.map(String) : []);
  return { id: r.id, first: r.first_quarter || '', last: r.last_quarter || '', years: list(r.years), injury: list(r.injury_group), place: list(r.place_group) };
}

/** "Release 1 · 2012-Q1–2014-Q4", or '' without a release. */
function releaseLine() {
  const r = release();
  return r.id ? t('release_line', { id: r.id, from: r.first, to: r.last }) : '';
}

/** The label of a public group "FAMILY:LABEL". */
function publicGroupLabel(pg) {
  const [f, g] = pg.split(':');
  return wordLabel(f === 'place_group' ? 'pg.' : 'ig.', g);
}

// The public's selectors: a year of the release (or all) and one of its injury or place groups;
// the planners' filters are hidden with a note (the server would answer them with 400).
function buildPublicFilters() {
  const s = page.state;
  const r = release();
  const y = $('f-year');
  y.replaceChildren(option('', t('all_years')), ...r.years.map((x) => option(x, x)));
  if (!r.years.includes(s.y)) s.y = '';
  y.value = s.y;
  const g = $('f-group');
  g.replaceChildren(option('', t('all')));
  for (const [fam, labels, prefix, head] of [['injury_group', r.injury, 'ig.', 'ig_label'], ['place_group', r.place, 'pg.', 'pg_label']]) {
    if (!labels.length) continue;
    const og = document.createElement('optgroup');
    og.label = t(head);
    for (const l of labels) og.append(option(`${fam}:${l}`, wordLabel(prefix, l)));
    g.append(og);
  }
  if (![...g.options].some((o) => o.value === s.pg)) s.pg = '';
  g.value = s.pg;
}

// The selectors offer the server's vocabularies (/api/config), labelled from web/i18n.
function buildFilters() {
  const pub = isPublic();
  $('planner-filters').hidden = pub;
  $('f-hc-l').hidden = pub;
  $('f-es-l').hidden = pub; // the public's emerging hot spots are the release's years
  $('pub-note').hidden = !pub;
  $('f-year-l').hidden = !pub;
  $('f-group-t').dataset.i18n = pub ? 'pub_group' : 'group';
  $('f-group-t').textContent = t($('f-group-t').dataset.i18n);
  if (pub) { buildPublicFilters(); return; }
  const s = page.state;
  const voc = page.cfg.vocabularies;
  const g = $('f-group');
  g.replaceChildren(option('', t('all')));
  const og1 = document.createElement('optgroup');
  og1.label = t('groups_label');
  for (const k of availableGroups(voc)) og1.append(option(k, t('g.' + k)));
  const og2 = document.createElement('optgroup');
  og2.label = t('mechs_label');
  for (const m of words(voc, 'mechanism')) og2.append(option('m.' + m, wordLabel('m.', m)));
  g.append(og1, og2);
  g.value = s.g;

  const sev = $('f-sev');
  sev.querySelectorAll('label').forEach((x) => x.remove());
  for (const k of words(voc, 'severity')) {
    const l = document.createElement('label');
    l.className = 'chk';
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.value = k;
    c.checked = s.sev.includes(k);
    c.addEventListener('change', () => setState({ sev: [...sev.querySelectorAll('input:checked')].map((x) => x.value) }));
    l.append(c, ' ', wordLabel('sev.', k));
    sev.append(l);
  }
  const age = $('f-age');
  age.replaceChildren(option('', t('all')), ...AGES.map((a) => option(a, a.endsWith('-') ? `≥ ${a.slice(0, -1)}` : a)));
  age.value = s.age;
  const sex = $('f-sex');
  sex.replaceChildren(option('', t('all')), ...words(voc, 'sex').map((x) => option(x, wordLabel('sex.', x))));
  sex.value = s.sex;
  const win = $('f-win');
  win.replaceChildren(...WINDOWS.map((w) => option(String(w), t('win.' + w))));
  win.value = String(s.win);
  const hc = $('f-hc');
  hc.replaceChildren(...HS_CELLS.map((c) => option(c, c === 'auto' ? t('hs_auto') : `${c} m`)));
  hc.value = s.hc;
  const es = $('f-es');
  es.replaceChildren(...EM_STEPS.map((x) => option(x, t('step.' + x))));
  es.value = s.es;
  updateAgeNote();
}

function updateAgeNote() {
  if (isPublic()) return;
  const elderly = page.state.g === 'elderly';
  $('f-age').disabled = elderly;
  $('age-note').hidden = !elderly;
}

function buildLayerList() {
  const ul = $('layers');
  ul.replaceChildren();
  const readsIncidents = page.cfg.role === 'planner'; // editors add incidents but do not read them
  const live = !isPublic(); // the network layers are computed live: planners and editors
  for (const name of LAYERS) {
    const li = document.createElement('li');
    li.dataset.layer = name;
    const l = document.createElement('label');
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.id = `layer-${name}`;
    const off = (name === 'incidents' && !readsIncidents) || (LIVE_LAYERS.includes(name) && !live);
    c.checked = page.state.l.includes(name) && !off;
    c.disabled = off;
    c.addEventListener('change', () => setLayer(name, c.checked));
    const st = document.createElement('span');
    st.className = 'st';
    l.append(c, ' ', t('layer.' + name), ' ', st);
    li.append(l);
    ul.append(li);
  }
}

// The planar and the network density are alternatives: turning one on turns the other off.
const ALTERNATIVE = { density: 'network', network: 'density' };

function setLayer(name, on) {
  const other = on ? ALTERNATIVE[name] : null;
  const l2 = LAYERS.filter((n) => (n === name ? on : n !== other && page.state.l.includes(n)));
  setState({ l: l2 }, { reload: false });
  const c = $(`layer-${name}`);
  if (c) c.checked = on;
  if (other && page.layers.enabled.has(other)) {
    const oc = $(`layer-${other}`);
    if (oc) oc.checked = false;
    page.layers.setEnabled(other, false);
  }
  page.layers.setEnabled(name, on);
}

function renderRoadSiteList(feats) {
  const ol = $('rs-list');
  ol.replaceChildren();
  for (const f of feats.slice(0, 50)) {
    const p = f.properties;
    const eb = p.eb || {};
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'rs-item';
    b.dataset.rank = p.rank;
    const kind = t(p.kind === 'junction' ? 'rs.junction' : 'rs.section');
    const col = excessColor(siteExcess(p), page.layers.roadSitesBreaks);
    const rules = rulesMet(p);
    b.innerHTML = `<span class="rs-rank" style="background:${col}">${esc(p.rank)}</span><span class="rs-txt"><b>${esc(p.name || kind)}</b>${p.name ? ` · ${esc(kind)}` : ''}<br>`
      + `${t('rs.observed')} ${num(p.count)} · ${t('rs.predicted')} ${num(eb.predicted, 1)} · ${t('rs.expected')} ${num(eb.expected, 1)}`
      + `<br><span class="rs-rule">${rules.length ? esc(rules.join(' · ')) : esc(t('rs.no_rule'))}</span></span>`;
    b.addEventListener('click', () => {
      page.layers.focusRoadSite(p.rank);
      if (window.matchMedia('(max-width: 700px)').matches) togglePanel(false);
    });
    li.append(b);
    ol.append(li);
  }
  $('rs-section').hidden = feats.length === 0;
}

function layerStatus(name, text, ok, gone = false) {
  const st = document.querySelector(`#layers li[data-layer="${name}"] .st`);
  if (!st) return;
  if (gone) { const c = $(`layer-${name}`); c.checked = false; c.disabled = true; }
  st.textContent = text ? `(${text})` : '';
  st.classList.toggle('bad', !ok);
}

function renderLegend() {
  if (page.legendEl) page.legendEl.innerHTML = page.layers.legendHTML();
  updatePrintHead();
}

function renderBlackspotList(feats) {
  const ol = $('bs-list');
  ol.replaceChildren();
  for (const f of feats.slice(0, 50)) {
    const p = f.properties;
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'bs-item';
    b.dataset.rank = p.rank;
    const count = p.suppressed || p.count === null || p.count === undefined ? t('suppressed', { n: page.cfg.min_count ?? 10 })
      : p.score === undefined && Number.isFinite(p.count_lo) ? `${t('count')} ${num(p.count)} (${num(p.count_lo)}–${num(p.count_hi)})`
        : `${t('count')} ${num(p.count)} · ${t('score')} ${num(p.score, 1)}`;
    b.innerHTML = `<span class="bs-icon"><span>${esc(p.rank)}</span></span> ${esc(count)}`;
    b.addEventListener('click', () => {
      page.layers.focusBlackspot(p.rank);
      if (window.matchMedia('(max-width: 700px)').matches) togglePanel(false);
    });
    li.append(b);
    ol.append(li);
  }
  $('bs-section').hidden = feats.length === 0;
}

function renderAreaChoices(areas) {
  const names = (p) => (lang() === 'en' && p.name_en ? p.name_en : p.name || p.code);
  for (const id of ['e-area', 'e-compare']) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren(option('', id === 'e-compare' ? t('none') : '—'));
    [...areas].sort((a, b) => String(a.properties.code).localeCompare(String(b.properties.code)))
      .forEach((f) => sel.append(option(f.properties.code, names(f.properties))));
    sel.value = keep;
  }
}

// ---- time: a month slider over the data's months; the window (1/3/12 months) starts at the slider.
function setupMonths() {
  if (isPublic()) { page.months = []; updatePeriod(); return; } // the public picks whole years of the release
  const from = (page.cfg.data_from || '').slice(0, 7);
  const to = (page.cfg.data_to || '').slice(0, 7);
  page.months = /^\d{4}-\d{2}$/.test(from) && /^\d{4}-\d{2}$/.test(to) ? monthRange(from, to) : [];
  const r = $('f-month');
  r.max = String(Math.max(0, page.months.length - 1));
  if (page.state.win && !page.state.m && page.months.length) page.state.m = page.months[0];
  r.value = String(Math.max(0, page.months.indexOf(page.state.m)));
  updatePeriod();
}

function updatePeriod() {
  const s = page.state;
  const on = s.win > 0 && page.months.length > 0;
  $('f-month').disabled = !on;
  $('play').disabled = !on;
  if (isPublic()) { $('period').textContent = releaseLine() || (page.cfg && page.cfg.data_from ? `${page.cfg.data_from} – ${page.cfg.data_to}` : ''); return; }
  const r = dateRange(s);
  $('period').textContent = r ? `${r.from} – ${r.to}` : page.cfg && page.cfg.data_from ? `${page.cfg.data_from} – ${page.cfg.data_to}` : '';
}

function play() {
  if (page.playTimer) { stopPlay(); return; }
  $('play').textContent = t('pause');
  page.playTimer = setInterval(() => {
    const i = page.months.indexOf(page.state.m) + 1;
    if (i + page.state.win > page.months.length) { stopPlay(); return; }
    $('f-month').value = String(i);
    setState({ m: page.months[i] });
  }, 1500);
}

function stopPlay() {
  clearInterval(page.playTimer);
  page.playTimer = null;
  $('play').textContent = t('play');
}

// ---- evaluation panel: /api/evaluate with the current filters except the dates.
async function runEvaluation() {
  const out = $('e-out');
  const area = $('e-area').value, start = $('e-start').value, cmp = $('e-compare').value;
  if (!area || !start) { out.textContent = `${t('eval_area')} / ${t('eval_start')}?`; return; }
  // The public's evaluation comes from the published release (whole years of a sub-district's
  // counts, or quarters of one injury or place group): no other filter, no comparison area.
  const pub = isPublic();
  const q = new URLSearchParams(pub ? publicParams(page.state).filter(([k]) => k !== 'year') : filterParams(page.state, { dates: false }));
  q.set('area', area);
  q.set('start', start);
  if (!pub && cmp && cmp !== area) q.set('compare', cmp);
  out.textContent = t('loading');
  try {
    const r = await getJSON(`/api/evaluate?${q.toString().replace(/%2C/g, ',')}`);
    const per = (x) => (x && Number.isFinite(x.rate) ? x.rate : null);
    const items = [
      { label: t('before'), value: per(r.before), lo: r.before && r.before.rate_lo, hi: r.before && r.before.rate_hi, color: '#9e9ac8' },
      { label: t('after'), value: per(r.after), lo: r.after && r.after.rate_lo, hi: r.after && r.after.rate_hi, color: '#6a51a3' },
    ];
    const sig = Number.isFinite(r.rr_hi) && r.rr_hi < 1 ? t('eval_sig_down') : Number.isFinite(r.rr_lo) && r.rr_lo > 1 ? t('eval_sig_up') : t('eval_ns');
    let h = `<div class="rr">${t('rr')} = <b>${num(r.rr, 2)}</b> (${t('ci')} ${num(r.rr_lo, 2)}–${num(r.rr_hi, 2)})<br><i>${esc(sig)}</i></div>`;
    // Periods are half-open [from, to): shown as from → to.
    const period = (x) => `${esc(String(x?.from ?? '').slice(0, 10))} → ${esc(String(x?.to ?? '').slice(0, 10))}`;
    const cnt = (x) => (x && x.suppressed ? t('suppressed', { n: page.cfg.min_count ?? 10 }) : `${t('count')} ${num(x?.count)}`);
    h += `<div class="note">${t('before')}: ${period(r.before)}, ${cnt(r.before)}<br>${t('after')}: ${period(r.after)}, ${cnt(r.after)}</div>`;
    h += beforeAfter(items, { unit: t('rate_unit') });
    if (r.comparison && Number.isFinite(r.rrr)) h += `<div class="rr">${t('rrr')} = <b>${num(r.rrr, 2)}</b> (${num(r.rrr_lo, 2)}–${num(r.rrr_hi, 2)})</div>`;
    out.innerHTML = h;
  } catch (e) {
    out.textContent = `${t('unavailable')} (${e.message})`;
  }
}

// ---- planner sign-in: the token is checked by asking /api/config which role it gives.
async function login(ev) {
  ev.preventDefault();
  const tok = $('token').value.trim();
  if (!tok) return;
  setToken(tok);
  const cfg = await getConfig();
  if (cfg.role === 'public') {
    setToken('');
    $('auth-msg').textContent = t('token_rejected');
    return;
  }
  location.reload();
}

function logout() {
  setToken('');
  location.reload();
}

function showRole() {
  const r = page.cfg.role || 'public';
  $('role').textContent = t('role_' + r);
  $('role').className = `role role-${r}`;
  const signedIn = r !== 'public';
  $('login-form').hidden = signedIn;
  $('logout').hidden = !signedIn;
}

function togglePanel(open) {
  const p = $('panel');
  const want = open ?? p.classList.contains('closed');
  p.classList.toggle('closed', !want);
  $('toggle').setAttribute('aria-expanded', String(want));
  setTimeout(() => page.map && page.map.invalidateSize(), 220);
}

function filterSummary() {
  const s = page.state;
  if (isPublic()) return [s.y || t('all_years'), s.pg ? publicGroupLabel(s.pg) : t('all')].join(' · ');
  const parts = [];
  if (s.g) parts.push(s.g.startsWith('m.') ? wordLabel('m.', s.g.slice(2)) : t('g.' + s.g));
  if (s.sev.length) parts.push(s.sev.map((x) => wordLabel('sev.', x)).join('/'));
  if (s.age && s.g !== 'elderly') parts.push(`${t('age')} ${s.age}`);
  if (s.sex) parts.push(wordLabel('sex.', s.sex));
  const r = dateRange(s);
  if (r) parts.push(`${r.from} – ${r.to}`);
  return parts.length ? parts.join(' · ') : t('all');
}

function updatePrintHead() {
  if (!page.cfg) return;
  $('print-title').textContent = page.cfg.title && page.cfg.title !== 'hazmap' ? page.cfg.title : t('title');
  $('print-filters').textContent = `${t('filters_now')}: ${filterSummary()}`;
  $('print-date').textContent = isPublic() && releaseLine() ? releaseLine()
    : `${t('data_date')}: ${page.cfg.data_to || '–'}${page.cfg.data_version ? ` (v${page.cfg.data_version})` : ''}`;
}

/**
 * The quarterly diagnosis report (GET /api/report) of the selected working group, or of the
 * district (or `group`: a project's), for the last quarter of the data, in a new tab. Fetched with the token, so planners get
 * the live report and the public its public version; shown from a blob: URL (the page is
 * self-contained: its maps are data: URIs).
 */
async function openReport(group) {
  const m = /^(\d{4})-(\d{2})/.exec(page.cfg.data_to || '');
  if (!m) return;
  const q = `${m[1]}Q${Math.floor((Number(m[2]) - 1) / 3) + 1}`;
  const g = typeof group === 'string' && group ? group : GROUPS[page.state.g] ? page.state.g : 'district';
  const w = window.open('', '_blank'); // before the await: a pop-up blocker allows it only now
  try {
    const res = await fetch(`/api/report?group=${g}&quarter=${q}&lang=${lang() === 'en' ? 'en' : 'zh'}`, { headers: authHeaders() });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    if (w) w.location = url; else location.assign(url);
  } catch (e) {
    if (w) w.close();
    $('auth-msg').textContent = `${t('report_failed')}: ${e.message}`;
  }
}

async function main() {
  const t0 = performance.now();
  const [cfg] = await Promise.all([getConfig(), setLang(parseHash(location.hash).lang)]);
  page.cfg = cfg;
  setGroups(cfg.groups);
  page.state = parseHash(location.hash, cfg.vocabularies);
  if (isPublic()) {
    // A planner's URL opened without a token: its working group maps onto a release group; the
    // planners' filters do not apply to the release.
    const s0 = page.state;
    if (!s0.pg && PUBLIC_OF_GROUP[s0.g]) s0.pg = PUBLIC_OF_GROUP[s0.g];
    Object.assign(s0, { g: '', sev: [], age: '', sex: '', win: 0, m: '' });
  }
  if (cfg.title && cfg.title !== 'hazmap') { $('title').textContent = cfg.title; $('title').removeAttribute('data-i18n'); }
  document.title = `${$('title').textContent} · hazmap`;

  const map = L.map('map', { zoomControl: true, preferCanvas: false, attributionControl: true, zoomSnap: 0.5 });
  page.map = map;
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  const legend = L.control({ position: 'bottomright' });
  legend.onAdd = () => {
    const d = L.DomUtil.create('div', 'legend');
    const b = L.DomUtil.create('button', 'lg-toggle', d);
    b.type = 'button';
    b.dataset.i18n = 'legend';
    b.textContent = t('legend');
    b.addEventListener('click', () => d.classList.toggle('collapsed'));
    page.legendEl = L.DomUtil.create('div', 'lg-body', d);
    if (window.matchMedia('(max-width: 700px)').matches) d.classList.add('collapsed');
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  };
  legend.addTo(map);

  const gcj = !!(cfg.basemap && cfg.basemap.url && cfg.basemap.gcj02);
  if (cfg.basemap && cfg.basemap.url) {
    L.tileLayer(cfg.basemap.url, { attribution: cfg.basemap.attribution || '', maxZoom: 19, crossOrigin: true }).addTo(map);
    document.body.classList.add('with-basemap');
  }
  $('gcj-note').hidden = !gcj;
  // The offline base map: the server's streets (OpenStreetMap roads), under every overlay, in every
  // view; a configured base map shows the streets itself.
  if (!(cfg.basemap && cfg.basemap.url)) page.streets = streetLayer(map).addTo(map);

  const s = page.state;
  if (s.v) map.setView([s.v[1], s.v[2]], s.v[0]);
  else if (Array.isArray(cfg.bounds) && cfg.bounds.length === 4) {
    let [w, so, e, n] = cfg.bounds;
    if (gcj) { const { wgsToGcj } = await import('./gcj02.js'); [w, so] = wgsToGcj(w, so); [e, n] = wgsToGcj(e, n); }
    map.fitBounds([[so, w], [n, e]]);
  } else map.setView([30.6415, 104.0960], 13); // Jinjiang District, Chengdu
  map.on('moveend', () => {
    const c = map.getCenter();
    setState({ v: [map.getZoom(), +c.lat.toFixed(5), +c.lng.toFixed(5)] }, { reload: false });
  });

  buildFilters();
  buildLayerList();
  showRole();
  setupMonths();
  $('f-op').value = String(s.op);

  page.layers = new LayerSet(map, cfg, {
    status: layerStatus,
    legend: renderLegend,
    blackspots: renderBlackspotList,
    roadsites: renderRoadSiteList,
    areas: renderAreaChoices,
  });
  for (const name of s.l) {
    if (name === 'incidents' && cfg.role !== 'planner') continue;
    if (LIVE_LAYERS.includes(name) && isPublic()) continue;
    page.layers.enabled.add(name);
  }
  page.layers.update({ ...s });
  setState({}, { reload: false });
  // The projects: layer, list per working group, detail, form (editors and planners), supervision.
  page.openReport = openReport;
  page.projects = new Projects(page, { canEdit: !isPublic() });
  page.projects.load();

  $('f-group').addEventListener('change', (e) => {
    if (isPublic()) { setState({ pg: e.target.value }); return; }
    setState({ g: e.target.value });
    updateAgeNote();
    page.projects.followGroup(e.target.value);
    // The traffic working group's view: its screened road sites, ranked (planners and editors).
    if (e.target.value === 'traffic') for (const n of TRAFFIC_LAYERS) if (!page.state.l.includes(n)) setLayer(n, true);
  });
  $('f-year').addEventListener('change', (e) => setState({ y: e.target.value }));
  $('f-age').addEventListener('change', (e) => setState({ age: e.target.value }));
  $('f-sex').addEventListener('change', (e) => setState({ sex: e.target.value }));
  $('f-win').addEventListener('change', (e) => {
    const win = Number(e.target.value);
    const m = win && page.months.length ? page.months[Math.min(Number($('f-month').value), Math.max(0, page.months.length - win))] : '';
    setState({ win, m });
  });
  $('f-month').addEventListener('input', (e) => { if (page.state.win) setState({ m: page.months[Number(e.target.value)] }); });
  $('f-hc').addEventListener('change', (e) => setState({ hc: e.target.value }));
  $('f-es').addEventListener('change', (e) => setState({ es: e.target.value }));
  $('f-op').addEventListener('input', (e) => setState({ op: Number(e.target.value) }));
  $('play').addEventListener('click', play);
  $('e-run').addEventListener('click', runEvaluation);
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('toggle').addEventListener('click', () => togglePanel());
  $('lang').addEventListener('click', async () => {
    const nl = lang() === 'en' ? 'zh-CN' : 'en';
    await setLang(nl);
    setState({ lang: nl }, { reload: false });
    buildFilters();
    buildLayerList();
    showRole();
    stopPlay();
    renderLegend();
    renderBlackspotList(page.layers.blackspots);
    renderRoadSiteList(page.layers.roadSites);
    if (page.layers.areaFeatures) renderAreaChoices(page.layers.areaFeatures);
    page.projects._bind();
    page.projects.renderList();
    if (page.projects.current) page.projects.openDetail(page.projects.current.id);
    for (const [n, i] of Object.entries(page.layers.info)) layerStatus(n, i.ok ? (i.n !== undefined ? String(i.n) : '') : `${t('unavailable')} (${i.error})`, i.ok);
  });
  $('export').addEventListener('click', async () => { const m = await import('./export.js'); m.exportPng(page, filterSummary()); });
  $('print').addEventListener('click', () => window.print());
  $('report').addEventListener('click', () => openReport());
  window.addEventListener('hashchange', () => {
    if (location.hash === toHash(page.state)) return;
    location.reload(); // a pasted or edited URL: start again from it
  });
  if (window.matchMedia('(max-width: 700px)').matches) togglePanel(false);
  if (!getToken()) $('auth-msg').textContent = '';
  page.ready = true;
  page.readyMs = performance.now() - t0;
  document.body.dataset.ready = '1';
}

main().catch((e) => {
  // Should not happen: every layer handles its own failures. Show it instead of a blank page.
  document.body.dataset.ready = 'error';
  const d = document.createElement('div');
  d.className = 'fatal';
  d.textContent = `hazmap: ${e && e.message ? e.message : e}`;
  document.body.append(d);
});
