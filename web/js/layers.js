// layers.js - the map's overlay layers: area choropleth, density tiles, Gi* cells, emerging hot spots, black spots, incidents.
//
// Every layer reloads from the API with the shared filters (state.js query()). The public (no token)
// is answered only from the published release: its requests carry only the release's dimensions
// (state.js publicQuery(): year and one injury or place group; the areas only the year), and its
// black spots are the release's 200 m squares with a noisy count and its interval, no score; its
// emerging hot spots are the release's yearly grid over all its years (no year, no step: the server
// refuses both) and their list already carries each cell's series, so a click needs no request. A layer
// whose endpoint is missing or fails is switched off with a note beside its checkbox; nothing throws
// to the console.
// In GCJ-02 basemap mode (config.basemap.gcj02) every GeoJSON coordinate is shifted WGS84 -> GCJ-02
// (gcj02.js) before drawing and the incident bbox is shifted back; the density raster cannot be
// re-projected in the browser, so its pane is translated by the GCJ offset at the view centre. The
// offset varies by well under 10 m across the district (under 1 px at zoom <= 14), so the tiles line up.
//
// Planner-mode tiles: Leaflet's <img> tiles cannot send an Authorization header, so when a token is
// set DensityLayer fetches each tile with fetch() and shows it through a blob: URL (createTile).
import { query, publicQuery, publicParams, words } from './state.js';
import { getJSON, getToken, authHeaders } from './api.js';
import { featuresToGcj, wgsToGcj, gcjToWgs } from './gcj02.js';
import { t, num, lang } from './i18n.js';
import { bars, esc, emergingChart } from './charts.js';
import { nearestRoad, OSM_ATTRIBUTION } from './roads.js';

const L = window.L;

export const HOT_COLORS = { hot99: '#b2182b', hot95: '#e34a33', hot90: '#fc9272', cold90: '#9ecae1', cold95: '#4292c6', cold99: '#08519c' };
const RATE_COLORS = ['#fef0d9', '#fdcc8a', '#fc8d59', '#e34a33', '#b30000'];
const SUPPRESSED_COLOR = '#cfcfcf';
// The 17 patterns of the emerging hot spot analysis in the server's order (geo/analysis/ehsa.c) with
// its ArcGIS-conventional fills; the labels are web/i18n's 'ehsa.NAME' (the same text as the
// server's label / label_zh). The features carry their own colour, which the map uses; this table
// is for the legend, which lists patterns absent from the view too.
export const EHSA_PATTERNS = [
  ['new_hot', '#cb0800'], ['consecutive_hot', '#bd6d5e'], ['intensifying_hot', '#e01709'], ['persistent_hot', '#851400'],
  ['diminishing_hot', '#f4a582'], ['sporadic_hot', '#fac8b4'], ['oscillating_hot', '#d6604d'], ['historical_hot', '#bfa7a1'],
  ['new_cold', '#0008cb'], ['consecutive_cold', '#5e6dbd'], ['intensifying_cold', '#0917e0'], ['persistent_cold', '#001485'],
  ['diminishing_cold', '#82a5f4'], ['sporadic_cold', '#b4c8fa'], ['oscillating_cold', '#4d60d6'], ['historical_cold', '#a1a7bf'],
  ['no_pattern', '#e6e6e6'],
];
const EHSA_COLOR = Object.fromEntries(EHSA_PATTERNS);
const HEX = /^#[0-9a-fA-F]{6}$/;

/** The label of an emerging pattern in the page language: the feature's own, else web/i18n's. */
export function patternLabel(p) {
  const own = lang() === 'en' ? p.label : p.label_zh;
  return own || t('ehsa.' + p.pattern);
}

/** Popup HTML of an emerging hot spot cell; p.series (if any) drawn as a chart. */
export function emergingPopup(p, minCount) {
  const col = HEX.test(p.colour || '') ? p.colour : EHSA_COLOR[p.pattern] || '#999';
  let h = `<div class="em-popup"><h4><i style="background:${col}"></i>${esc(patternLabel(p))}</h4>`;
  h += `<div>${t('count')}: ${p.count === null || p.count === undefined ? `<i class="flag">${esc(t('suppressed', { n: minCount }))}</i>` : `<b>${num(p.count)}</b>`}`;
  if (Number.isFinite(p.hot_steps) || Number.isFinite(p.cold_steps)) h += ` · ${t('em_hot_steps')} ${num(p.hot_steps)} · ${t('em_cold_steps')} ${num(p.cold_steps)}`;
  h += '</div>';
  const tz = p.trend_z;
  if (tz && Number.isFinite(tz.z)) h += `<div class="note">${t('em_trend')}: Mann-Kendall z = ${num(tz.z, 2)}, p = ${Number.isFinite(tz.p) ? tz.p.toPrecision(2) : '–'}</div>`;
  if (p.series && Array.isArray(p.series.step)) {
    h += emergingChart(p.series, { title: t('em_series'), labels: { count: t('count'), z: 'Gi* z', withheld: t('suppressed', { n: minCount }) } });
    h += `<div class="em-key"><i class="bar"></i>${t('count')} <i class="line"></i>Gi* z <i class="dot hot"></i>${t('em_sig_hot')} <i class="dot cold"></i>${t('em_sig_cold')}</div>`;
  } else if (p.series === undefined) {
    h += `<div class="em-chart-wait note">${t('loading')}</div>`;
  }
  return h + '</div>';
}

function niceRound(v) {
  if (!(v > 0)) return 0;
  const p = Math.pow(10, Math.floor(Math.log10(v)) - 1);
  return Math.round(v / p) * p;
}

/** Quantile class breaks (upper bounds of the lower classes) for up to k classes. */
export function quantileBreaks(values, k = 5) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length < 2) return [];
  const out = [];
  for (let i = 1; i < k; i++) {
    const b = niceRound(v[Math.min(v.length - 1, Math.floor((i * v.length) / k))]);
    if (b > v[0] && b <= v[v.length - 1] && (!out.length || b > out[out.length - 1])) out.push(b);
  }
  return out;
}

function classOf(v, breaks) {
  let i = 0;
  while (i < breaks.length && v >= breaks[i]) i++;
  return i;
}

function areaName(p) {
  return (lang() === 'en' && p.name_en) ? p.name_en : (p.name || p.code || '');
}

/** Tooltip HTML of an area: never shows a suppressed count. */
export function areaTooltip(p, minCount) {
  let h = `<b>${esc(areaName(p))}</b>`;
  if (p.suppressed) return h + `<br><i class="flag">${esc(t('suppressed', { n: minCount }))}</i>`;
  h += `<br>${t('count')}: ${num(p.count)}`;
  if (Number.isFinite(p.rate)) {
    h += `<br>${t('rate')}: ${num(p.rate, 1)} ${t('rate_unit')}`;
    if (Number.isFinite(p.rate_lo) && Number.isFinite(p.rate_hi)) h += `<br>${t('ci')}: ${num(p.rate_lo, 1)}–${num(p.rate_hi, 1)}`;
  }
  if (Number.isFinite(p.count_lo) && Number.isFinite(p.count_hi)) h += `<br>${t('interval')}: ${num(p.count_lo)}–${num(p.count_hi)}`;
  if (Number.isFinite(p.population)) h += `<br>${t('population')}: ${num(p.population)}`;
  if (p.year) h += `<br>${t('year')}: ${esc(p.year)}`;
  if (p.unstable) h += `<br><i class="flag">${esc(t('unstable'))}</i>`;
  return h;
}

function hourLabels() { return Array.from({ length: 24 }, (_, i) => (i % 6 === 0 ? String(i) : '')); }
function weekdayLabels() { return lang() === 'en' ? ['M', 'T', 'W', 'T', 'F', 'S', 'S'] : ['一', '二', '三', '四', '五', '六', '日']; }

/**
 * Black-spot popup HTML: severity counts, score, hour/weekday profiles and yearly trend as SVG.
 * severities: the severity words in order (/api/config's vocabularies); "unknown" follows them.
 */
export function blackspotPopup(p, minCount, severities = [], road = null) {
  let h = `<div class="bs-popup"><h4>${t('rank')} ${esc(p.rank)}</h4>`;
  if (road) h += roadLine(road);
  if (p.suppressed || p.count === null || p.count === undefined) {
    return h + `<i class="flag">${esc(t('suppressed', { n: minCount }))}</i></div>`;
  }
  if (p.score === undefined && Number.isFinite(p.square_m)) {
    // A released black spot (public): a square of the release's grid, its noisy count and interval.
    h += `<div>${t('count')}: <b>${num(p.count)}</b> (${t('interval')} ${num(p.count_lo)}–${num(p.count_hi)})</div>`;
    if (Number.isFinite(p.per_year)) h += `<div>${t('per_year')}: ${num(p.per_year, 1)}</div>`;
    return h + `<div>${t('square', { m: num(p.square_m) })}</div><div class="note">${esc(t('released_note'))}</div></div>`;
  }
  h += `<div>${t('count')}: <b>${num(p.count)}</b> · ${t('score')}: <b>${num(p.score, 1)}</b>`;
  if (Number.isFinite(p.radius_m)) h += ` · ${t('radius')}: ${num(p.radius_m)} m`;
  h += '</div>';
  if (p.severity) {
    h += `<div class="sev">${t('by_severity')}: ` + [...severities, 'unknown']
      .filter((k) => p.severity[k]).map((k) => `${t('sev.' + k)} ${num(p.severity[k])}`).join(' · ') + '</div>';
  }
  if (p.mechanisms) {
    h += '<div class="mech">' + Object.entries(p.mechanisms).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${esc(t('m.' + k))} ${num(v)}`).join(' · ') + '</div>';
  }
  if (Array.isArray(p.hours)) h += `<div class="ch">${t('hours')}</div>` + bars(p.hours, { labels: hourLabels(), title: t('hours') });
  if (Array.isArray(p.weekdays)) h += `<div class="ch">${t('weekdays')}</div>` + bars(p.weekdays, { labels: weekdayLabels(), width: 120, color: '#7f3c8d', title: t('weekdays') });
  if (p.trend && typeof p.trend === 'object') {
    const years = Object.keys(p.trend).sort();
    if (years.length) h += `<div class="ch">${t('trend')}</div>` + bars(years.map((y) => p.trend[y]), { labels: years.map((y) => y.slice(2)), width: Math.min(220, 24 * years.length), color: '#2c7fb8', title: t('trend') });
  }
  return h + '</div>';
}

/** The popup line naming the nearest road. */
export function roadLine(name) {
  return `<div class="road">${esc(t('road'))}: <b>${esc(name)}</b></div>`;
}

// The excess expected crashes of a screened site (screen.h: the Empirical Bayes expected less the
// SPF's prediction; a section's is its worst window's), NaN without an SPF.
export function siteExcess(p) {
  const w = p.window && p.window.eb ? p.window.eb : p.eb;
  return w && Number.isFinite(w.excess) ? w.excess : NaN;
}
const EXCESS_COLORS = ['#fed976', '#feb24c', '#fd8d3c', '#e31a1c', '#800026'];
/**
 * The colour of an excess among the view's sites, by quantile classes of their excesses (breaks:
 * quantileBreaks(), so one extreme site does not wash out the rest); grey without EB.
 */
export function excessColor(v, breaks = []) {
  if (!Number.isFinite(v)) return '#888';
  return EXCESS_COLORS[Math.min(EXCESS_COLORS.length - 1, classOf(v, breaks) + EXCESS_COLORS.length - breaks.length - 1)];
}

/** The rules a site met ("fatal", "serious_or_fatal", "any"), as text. */
export function rulesMet(p) {
  return (Array.isArray(p.rules) ? p.rules : []).map((r) => t('rule.' + r.rule, { n: r.threshold }));
}

/** Popup HTML of a screened road site: observed, predicted (SPF), EB expected and excess crashes, the rules met. */
export function roadSitePopup(p) {
  const eb = p.eb || {};
  const kind = t(p.kind === 'junction' ? 'rs.junction' : 'rs.section');
  let h = `<div class="rs-popup"><h4>${t('rank')} ${esc(p.rank)} · ${esc(kind)}</h4>`;
  if (p.name) h += roadLine(p.name);
  h += `<div>${t('rs.observed')}: <b>${num(p.count)}</b> · ${t('rs.predicted')}: ${num(eb.predicted, 1)} · ${t('rs.expected')}: <b>${num(eb.expected, 1)}</b> · ${t('rs.excess')}: <b>${num(eb.excess, 1)}</b></div>`;
  if (Number.isFinite(p.length_m) && p.kind !== 'junction') h += `<div>${t('rs.length')}: ${num(p.length_m)} m</div>`;
  if (p.window && p.window.eb && p.window.windows > 1) h += `<div class="note">${t('rs.window', { a: num(p.window.from_m), b: num(p.window.to_m), n: num(p.window.count) })}</div>`;
  const r = rulesMet(p);
  h += `<div>${t('rs.rules')}: ${r.length ? `<b>${esc(r.join(' · '))}</b>` : esc(t('rs.no_rule'))}</div>`;
  return h + '</div>';
}

/** Tile layer that fetches tiles with the Bearer header (planner mode); plain <img> otherwise. */
const DensityTiles = L.TileLayer.extend({
  initialize(url, options) {
    L.TileLayer.prototype.initialize.call(this, url, options);
    this._shift = L.point(0, 0);
    this.on('tileunload', (e) => { if (e.tile._ctl) e.tile._ctl.abort(); });
  },
  createTile(coords, done) {
    if (!getToken()) return L.TileLayer.prototype.createTile.call(this, coords, done);
    const tile = document.createElement('img');
    tile.alt = '';
    tile.setAttribute('role', 'presentation');
    const ctl = new AbortController();
    tile._ctl = ctl;
    fetch(this.getTileUrl(coords), { headers: authHeaders(), signal: ctl.signal })
      .then((r) => { if (!r.ok) throw new Error(`tile ${r.status}`); return r.blob(); })
      .then((b) => {
        const u = URL.createObjectURL(b);
        tile.onload = () => { URL.revokeObjectURL(u); done(null, tile); };
        tile.onerror = () => { URL.revokeObjectURL(u); done(new Error('tile decode'), tile); };
        tile.src = u;
      })
      .catch((e) => { if (e.name !== 'AbortError') done(e, tile); });
    return tile;
  },
  // Leaflet 1.9.4's redraw() (run by setUrl on every filter change) takes the map's zoom unrounded,
  // so with fractional zoom (zoomSnap 0.5) it would ask for tiles at z = 12.5. Tiles exist at whole
  // zooms only: round here, as _setView already does.
  _clampZoom(zoom) {
    return L.TileLayer.prototype._clampZoom.call(this, Math.round(zoom));
  },
  // GCJ mode: the pane is translated by _shift, so load tiles over a view grown by the shift.
  _getTiledPixelBounds(center) {
    const b = L.TileLayer.prototype._getTiledPixelBounds.call(this, center);
    const s = this._shift;
    if (!s.x && !s.y) return b;
    const d = L.point(Math.abs(s.x), Math.abs(s.y));
    return L.bounds(b.min.subtract(d), b.max.add(d));
  },
});

export class LayerSet {
  /**
   * map: Leaflet map; cfg: /api/config; hooks: {status(name, text, ok), blackspots(list), legend()}.
   */
  constructor(map, cfg, hooks) {
    this.map = map;
    this.cfg = cfg;
    this.hooks = hooks;
    this.gcj = !!(cfg.basemap && cfg.basemap.url && cfg.basemap.gcj02);
    this.minCount = cfg.min_count ?? 10;
    this.planner = cfg.role === 'planner' || cfg.role === 'editor';
    this.pub = !this.planner; // answered from the published release only
    this.state = null;
    this.groups = {};
    this.ctl = {};
    this.info = {}; // per layer: {ok, n, ...} for the legend and the tests
    this.enabled = new Set();
    for (const [name, z] of [['areas', 300], ['density', 350], ['network', 355], ['emerging', 410], ['hotspots', 420], ['roadsites', 422], ['squares', 425], ['hull', 430]]) {
      map.createPane(name).style.zIndex = String(z);
    }
    this.rateBreaks = [];
    this.densityLegend = null;
    this.blackspots = [];
    this.markers = new Map();
    this.roadSites = []; // the screened road sites shown (features, ranked)
    this.siteLayers = new Map(); // rank -> the site's Leaflet layer
    this.networkLegend = null;
    this.roadNames = new Map(); // "lon,lat" (5 decimals) -> the nearest named road, null for none
    map.on('moveend', () => { if (this.enabled.has('incidents')) this._debounceIncidents(); this._updateShift(); });
    map.on('zoomend', () => this._updateShift());
  }

  _signal(name) {
    if (this.ctl[name]) this.ctl[name].abort();
    this.ctl[name] = new AbortController();
    return this.ctl[name].signal;
  }

  _geo(fc) { return this.gcj ? featuresToGcj(fc) : fc; }

  _fail(name, e) {
    if (e && e.name === 'AbortError') return;
    this.info[name] = { ok: false, error: String(e && e.message ? e.message : e) };
    // 404/501: the server has no such endpoint; the layer is switched off (other errors may pass).
    const gone = e && (e.status === 404 || e.status === 501);
    if (gone) { this.enabled.delete(name); this._clear(name); }
    this.hooks.status(name, `${t('unavailable')} (${this.info[name].error})`, false, gone);
    this.hooks.legend();
  }

  _clear(name) {
    if (this.groups[name]) { this.map.removeLayer(this.groups[name]); delete this.groups[name]; }
  }

  /** Turns a layer on or off (and loads it with the current state when turned on). */
  setEnabled(name, on) {
    if (name === 'density' && this.groups.areas) this._restyleAreas(on);
    if (on) { this.enabled.add(name); if (this.state) this._load(name); } else {
      this.enabled.delete(name);
      if (this.ctl[name]) this.ctl[name].abort();
      this._clear(name);
      if (name === 'blackspots') { this.blackspots = []; this.markers.clear(); this.hooks.blackspots([]); this._clear('hull'); }
      if (name === 'roadsites') { this.roadSites = []; this.siteLayers.clear(); if (this.hooks.roadsites) this.hooks.roadsites([]); }
      delete this.info[name];
      this.hooks.status(name, '', true);
      this.hooks.legend();
    }
  }

  /** The query string of a state's filters plus extra entries: the public's only from the release's dimensions. */
  _q(extra = {}, { group = true, state = this.state } = {}) {
    return this.pub ? publicQuery(state, extra, { group }) : query(state, extra);
  }

  /** New filter state: reload every enabled layer. */
  update(state) {
    const filtersChanged = !this.state || this._q({}, { state: this.state }) !== this._q({}, { state });
    const opChanged = this.state && this.state.op !== state.op;
    const cellChanged = !this.pub && this.state && this.state.hc !== state.hc;
    const stepChanged = !this.pub && this.state && this.state.es !== state.es;
    this.state = state;
    if (cellChanged && !filtersChanged && this.enabled.has('hotspots')) this._load('hotspots');
    if (stepChanged && !filtersChanged && this.enabled.has('emerging')) this._load('emerging');
    for (const name of this.enabled) {
      // The public's areas depend on the year only: a group change leaves them as they are; its
      // emerging hot spots on the group only (all the release's years).
      if (filtersChanged && !(name === 'areas' && this.pub && this.groups.areas && this.areasQuery === this._q({}, { group: false }))
        && !(name === 'emerging' && this.pub && this.groups.emerging && this.emergingQuery === this._emQ())) this._load(name);
    }
    if (opChanged && this.groups.density) this.groups.density.setOpacity(state.op);
    if (opChanged && this.groups.network) this.groups.network.setOpacity(state.op);
  }

  _load(name) {
    const f = { areas: this._areas, density: this._density, network: this._network, hotspots: this._hotspots, emerging: this._emerging, blackspots: this._blackspots, roadsites: this._roadsites, incidents: this._incidents }[name];
    if (f) f.call(this).catch((e) => this._fail(name, e));
  }

  async _areas() {
    const signal = this._signal('areas');
    this.hooks.status('areas', t('loading'), true);
    // The public's areas are the release's figures of one year (the last by default), all injuries.
    const aq = this._q({}, { group: false });
    const fc = await getJSON(`/collections/areas/items?${join('limit=10000', aq)}`, signal);
    this.areasQuery = aq;
    this.areaYear = this.pub && fc.provenance && fc.provenance.year ? String(fc.provenance.year) : '';
    const feats = fc.features || [];
    // Draw the finest level only: areas that are nobody's parent (the district outline is a parent).
    const parents = new Set(feats.map((f) => f.properties && f.properties.parent_code).filter(Boolean));
    const leaves = feats.filter((f) => !parents.has(f.properties.code));
    this.areaFeatures = leaves;
    this.rateBreaks = quantileBreaks(leaves.filter((f) => !f.properties.suppressed).map((f) => f.properties.rate));
    const breaks = this.rateBreaks;
    const layer = L.geoJSON(this._geo({ type: 'FeatureCollection', features: leaves }), {
      pane: 'areas',
      style: (f) => {
        const p = f.properties;
        const has = !p.suppressed && Number.isFinite(p.rate);
        return {
          color: '#555', weight: 1.2, opacity: 0.9, dashArray: p.unstable && !p.suppressed ? '4 3' : null,
          fillColor: p.suppressed ? SUPPRESSED_COLOR : has ? RATE_COLORS[classOf(p.rate, breaks) + (RATE_COLORS.length - breaks.length - 1)] : '#f2f2f2',
          // Under the density raster the choropleth is kept faint so both stay readable.
          fillOpacity: this.enabled.has('density') ? 0.3 : 0.65,
        };
      },
      onEachFeature: (f, l) => {
        l.bindTooltip(() => areaTooltip(f.properties, this.minCount), { sticky: true, className: 'area-tip' });
        l.on('click', (e) => l.openTooltip(e.latlng));
        l.on('mouseover', () => l.setStyle({ weight: 2.5 }));
        l.on('mouseout', () => l.setStyle({ weight: 1.2 }));
      },
    });
    this._clear('areas');
    if (!this.enabled.has('areas')) return;
    this.groups.areas = layer.addTo(this.map);
    this.info.areas = { ok: true, n: leaves.length };
    this.hooks.status('areas', `${leaves.length}`, true);
    this.hooks.areas(leaves);
    this.hooks.legend();
  }

  async _density() {
    const signal = this._signal('density');
    const q = this._q();
    // The class breaks belong to the view (filters, weight, kernel, bandwidth, data): the legend
    // is asked with the tiles' own parameters, so legend and tiles always agree.
    if (!this.densityLegend || this.densityLegendQuery !== q) {
      this.hooks.status('density', t('loading'), true);
      this.densityLegend = await getJSON(`/tiles/density/legend.json${q ? `?${q}` : ''}`, signal);
      this.densityLegendQuery = q;
    }
    const url = `/tiles/density/{z}/{x}/{y}.png${q ? `?${q}` : ''}`;
    if (this.groups.density) {
      this.groups.density.setUrl(url);
    } else {
      const b = this.cfg.bounds;
      const opts = { pane: 'density', opacity: this.state.op, tileSize: 256, maxZoom: 19, className: 'density-tiles' };
      if (Array.isArray(b) && b.length === 4) opts.bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]).pad(0.1);
      if (!this.enabled.has('density')) return;
      this.groups.density = new DensityTiles(url, opts).addTo(this.map);
      this._updateShift();
    }
    this.info.density = { ok: true, url };
    this.hooks.status('density', '', true);
    this.hooks.legend();
  }

  _restyleAreas(densityOn) {
    this.groups.areas.eachLayer((l) => l.setStyle({ fillOpacity: densityOn ? 0.3 : 0.65 }));
  }

  _updateShift() {
    if (!this.gcj) return;
    for (const name of ['density', 'network']) {
      const d = this.groups[name];
      if (!d) continue;
      const c = this.map.getCenter();
      const g = wgsToGcj(c.lng, c.lat);
      const z = this.map.getZoom();
      const s = this.map.project([g[1], g[0]], z).subtract(this.map.project(c, z)).round();
      d._shift = s;
      this.map.getPane(name).style.transform = `translate(${s.x}px, ${s.y}px)`;
    }
  }

  /**
   * The network density (planners and editors): the roads coloured by the kernel density of the
   * filtered incidents along the network, per km of road per year; the legend is asked with the
   * tiles' own parameters, as the planar density's.
   */
  async _network() {
    const signal = this._signal('network');
    const q = query(this.state);
    if (!this.networkLegend || this.networkLegendQuery !== q) {
      this.hooks.status('network', t('loading'), true);
      this.networkLegend = await getJSON(`/tiles/network/legend.json${q ? `?${q}` : ''}`, signal);
      this.networkLegendQuery = q;
    }
    const url = `/tiles/network/{z}/{x}/{y}.png${q ? `?${q}` : ''}`;
    if (this.groups.network) {
      this.groups.network.setUrl(url);
    } else {
      const b = this.cfg.bounds;
      // the roads drawn are OpenStreetMap's: credited with the layer, also over a configured base map
      const opts = { pane: 'network', opacity: this.state.op, tileSize: 256, maxZoom: 19, className: 'network-tiles', attribution: OSM_ATTRIBUTION };
      if (Array.isArray(b) && b.length === 4) opts.bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]).pad(0.1);
      if (!this.enabled.has('network')) return;
      this.groups.network = new DensityTiles(url, opts).addTo(this.map);
      this._updateShift();
    }
    this.info.network = { ok: true, url, lixels: this.networkLegend.network && this.networkLegend.network.nonzero_lixels };
    this.hooks.status('network', '', true);
    this.hooks.legend();
  }

  /**
   * The traffic working group's screened road sites (planners and editors): junctions as circles
   * and sections as thick lines, coloured by their Empirical Bayes excess expected crashes, ranked;
   * the side list (hooks.roadsites) shows observed, predicted and expected crashes and the rules met.
   */
  async _roadsites() {
    const signal = this._signal('roadsites');
    this.hooks.status('roadsites', t('loading'), true);
    const fc = await getJSON(`/collections/road_sites/items?${join('limit=100', query(this.state))}`, signal);
    const feats = this._geo(fc).features || [];
    feats.sort((a, b) => (a.properties.rank ?? 1e9) - (b.properties.rank ?? 1e9));
    const breaks = quantileBreaks(feats.map((f) => siteExcess(f.properties)));
    const group = L.layerGroup([], { attribution: OSM_ATTRIBUTION });
    this.siteLayers.clear();
    for (const f of feats) {
      const p = f.properties;
      const col = excessColor(siteExcess(p), breaks);
      let l;
      if (f.geometry && f.geometry.type === 'Point') {
        const [lon, lat] = f.geometry.coordinates;
        l = L.circleMarker([lat, lon], { pane: 'roadsites', radius: (p.rank || 99) <= 10 ? 9 : 6, weight: 2, color: '#222', fillColor: col, fillOpacity: 0.9, className: 'rs-junction' });
      } else if (f.geometry && f.geometry.type === 'LineString') {
        l = L.polyline(f.geometry.coordinates.map(([lon, lat]) => [lat, lon]), { pane: 'roadsites', weight: (p.rank || 99) <= 10 ? 9 : 6, color: col, opacity: 0.9, lineCap: 'round', className: 'rs-section' });
      } else continue;
      l.bindPopup(() => roadSitePopup(p), { maxWidth: 300, minWidth: 240, className: 'rs-pop' });
      l.bindTooltip(() => `${t('rank')} ${esc(p.rank)} · ${esc(p.name || t(p.kind === 'junction' ? 'rs.junction' : 'rs.section'))}`, { sticky: true });
      l.addTo(group);
      this.siteLayers.set(p.rank, l);
    }
    this._clear('roadsites');
    if (!this.enabled.has('roadsites')) return;
    this.groups.roadsites = group.addTo(this.map);
    this.roadSites = feats;
    this.roadSitesBreaks = breaks;
    this.info.roadsites = { ok: true, n: feats.length, junctions: feats.filter((f) => f.properties.kind === 'junction').length, sections: feats.filter((f) => f.properties.kind === 'section').length };
    this.hooks.status('roadsites', `${feats.length}`, true);
    if (this.hooks.roadsites) this.hooks.roadsites(feats);
    this.hooks.legend();
  }

  /** Zooms to road site `rank` and opens its popup (the side list's click). */
  focusRoadSite(rank) {
    const l = this.siteLayers.get(rank);
    if (!l) return;
    if (l.getLatLng) this.map.setView(l.getLatLng(), Math.max(this.map.getZoom(), 16), { animate: false });
    else this.map.fitBounds(l.getBounds(), { maxZoom: 17, animate: false });
    l.openPopup(l.getLatLng ? l.getLatLng() : l.getCenter());
  }

  async _hotspots() {
    const signal = this._signal('hotspots');
    this.hooks.status('hotspots', t('loading'), true);
    const fc = await getAll(`/collections/hotspots/items?${this.pub ? this._q() : query(this.state, { cell: this.state.hc })}`, signal, 50000);
    const sig = (fc.features || []).filter((f) => f.properties && HOT_COLORS[f.properties.class]);
    const layer = L.geoJSON(this._geo({ type: 'FeatureCollection', features: sig }), {
      pane: 'hotspots',
      style: (f) => ({ color: HOT_COLORS[f.properties.class], weight: 0.5, fillColor: HOT_COLORS[f.properties.class], fillOpacity: 0.55 }),
      onEachFeature: (f, l) => {
        const p = f.properties;
        l.bindTooltip(() => `<b>${esc(t(p.class))}</b><br>Gi* z = ${num(p.z, 2)}, p = ${Number.isFinite(p.p) ? p.p.toPrecision(2) : '–'}` +
          (p.suppressed || p.count === null || p.count === undefined ? '' : `<br>${t('count')}: ${num(p.count)}`), { sticky: true });
      },
    });
    this._clear('hotspots');
    if (!this.enabled.has('hotspots')) return;
    this.groups.hotspots = layer.addTo(this.map);
    this.info.hotspots = { ok: true, n: sig.length, total: (fc.features || []).length };
    this.hooks.status('hotspots', `${sig.length}`, true);
    this.hooks.legend();
  }

  /**
   * The emerging hot spots' query: the planners' filters and step (state.es); the public's group of
   * the release only (the analysis spans all its years: a year is refused).
   */
  _emQ(state = this.state) {
    if (!this.pub) return query(state, { step: state.es || 'month' });
    return new URLSearchParams(publicParams(state).filter(([k]) => k !== 'year')).toString();
  }

  async _emerging() {
    const signal = this._signal('emerging');
    this.hooks.status('emerging', t('loading'), true);
    const q = this._emQ();
    const fc = await getAll(`/collections/emerging/items${q ? `?${q}` : ''}`, signal, 50000);
    const all = fc.features || [];
    // No-pattern cells are not drawn: they are most of the grid and would hide the map.
    const shown = all.filter((f) => f.properties && f.properties.pattern && f.properties.pattern !== 'no_pattern');
    const present = {};
    for (const f of all) if (f.properties && f.properties.pattern) present[f.properties.pattern] = (present[f.properties.pattern] || 0) + 1;
    const fill = (p) => (HEX.test(p.colour || '') ? p.colour : EHSA_COLOR[p.pattern] || '#999');
    const layer = L.geoJSON(this._geo({ type: 'FeatureCollection', features: shown }), {
      pane: 'emerging',
      style: (f) => ({ color: fill(f.properties), weight: 0.6, opacity: 0.9, fillColor: fill(f.properties), fillOpacity: 0.6 }),
      onEachFeature: (f, l) => {
        l.bindTooltip(() => esc(patternLabel(f.properties)), { sticky: true });
        l.on('click', (e) => this._emergingClick(f, e.latlng, q));
      },
    });
    this._clear('emerging');
    if (!this.enabled.has('emerging')) return;
    this.groups.emerging = layer.addTo(this.map);
    this.emergingQuery = q;
    const pv = fc.provenance || {};
    this.info.emerging = { ok: true, n: shown.length, total: all.length, present, step: pv.step || (this.pub ? 'year' : this.state.es), first: pv.first_step, last: pv.last_step };
    this.hooks.status('emerging', `${shown.length}`, true);
    this.hooks.legend();
  }

  /** A cell's popup: the public's list carries the series; a planner's asks the item with the same query. */
  async _emergingClick(f, latlng, q) {
    const p = f.properties;
    const pop = L.popup({ maxWidth: 300, minWidth: 270, className: 'em-pop' }).setLatLng(latlng).setContent(emergingPopup(p, this.minCount)).openOn(this.map);
    if (p.series || this.pub || f.id === undefined || f.id === null) return;
    const signal = this._signal('emerging-item');
    try {
      const item = await getJSON(`/collections/emerging/items/${encodeURIComponent(f.id)}${q ? `?${q}` : ''}`, signal);
      if (this.map.hasLayer(pop)) pop.setContent(emergingPopup({ ...p, ...(item.properties || {}) }, this.minCount));
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (this.map.hasLayer(pop)) pop.setContent(emergingPopup({ ...p, series: null }, this.minCount) + `<div class="note">${esc(t('unavailable'))} (${esc(e.message || e)})</div>`);
    }
  }

  async _blackspots() {
    const signal = this._signal('blackspots');
    this.hooks.status('blackspots', t('loading'), true);
    const fc = await getJSON(`/collections/blackspots/items?${join('limit=100', this._q())}`, signal);
    const feats = this._geo(fc).features || [];
    feats.sort((a, b) => (a.properties.rank ?? 1e9) - (b.properties.rank ?? 1e9));
    const group = L.layerGroup();
    this.markers.clear();
    for (const f of feats) {
      const p = f.properties;
      let lon, lat;
      if (f.geometry && f.geometry.type === 'Point') [lon, lat] = f.geometry.coordinates;
      else if (f.geometry && f.geometry.type === 'Polygon') {
        // A released square (public): outlined, with its rank marker at its centre.
        const ring = f.geometry.coordinates[0] || [];
        const pts = ring.length > 1 ? ring.slice(0, -1) : ring;
        if (!pts.length) continue;
        lon = pts.reduce((a, c) => a + c[0], 0) / pts.length;
        lat = pts.reduce((a, c) => a + c[1], 0) / pts.length;
        L.geoJSON(f, { pane: 'squares', interactive: false, style: { color: '#111', weight: 1.5, fillColor: '#111', fillOpacity: 0.12 } }).addTo(group);
      } else continue;
      // The top 20 are large and black; the rest small and grey, so the worst sites stand out.
      const top = (p.rank || 999) <= 20;
      const sz = top ? 24 : 16;
      const m = L.marker([lat, lon], {
        icon: L.divIcon({ className: top ? 'bs-icon' : 'bs-icon bs-minor', html: `<span>${esc(p.rank)}</span>`, iconSize: [sz, sz], iconAnchor: [sz / 2, sz / 2], popupAnchor: [0, -sz / 2 + 2] }),
        title: `${t('rank')} ${p.rank}`, riseOnHover: true, zIndexOffset: 1000 - (p.rank || 0),
      });
      m.bindPopup(() => blackspotPopup(p, this.minCount, words(this.cfg.vocabularies, 'severity'), this.roadName(lon, lat)), { maxWidth: 260, minWidth: 230, className: 'bs-pop' });
      m.on('popupopen', () => { this._showHull(p); this._lookupRoad(lon, lat, m); });
      m.on('popupclose', () => this._clear('hull'));
      m.addTo(group);
      this.markers.set(p.rank, m);
    }
    this._clear('blackspots');
    if (!this.enabled.has('blackspots')) return;
    this.groups.blackspots = group.addTo(this.map);
    this.blackspots = feats;
    this.info.blackspots = { ok: true, n: feats.length };
    this.hooks.status('blackspots', `${feats.length}`, true);
    this.hooks.blackspots(feats);
    this.hooks.legend();
  }

  _showHull(p) {
    this._clear('hull');
    if (!p.hull || !p.hull.type) return;
    const fc = this._geo({ type: 'Feature', properties: {}, geometry: p.hull });
    this.groups.hull = L.geoJSON(fc, { pane: 'hull', interactive: false, style: { color: '#000', weight: 1.5, dashArray: '3 3', fillOpacity: 0.08 } }).addTo(this.map);
  }

  /** Zooms to black spot `rank` and opens its popup (the side list's click). */
  focusBlackspot(rank) {
    const m = this.markers.get(rank);
    if (!m) return;
    this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 16), { animate: false });
    m.openPopup();
  }

  /** The nearest named road of a point (WGS84 lon/lat) once looked up, else undefined (null: none). */
  roadName(lon, lat) {
    return this.roadNames.get(`${lon.toFixed(5)},${lat.toFixed(5)}`);
  }

  /** Looks the nearest named road of a point up once (the roads collection) and refreshes layer's open popup with it. */
  async _lookupRoad(lon, lat, layer) {
    const k = `${lon.toFixed(5)},${lat.toFixed(5)}`;
    if (this.roadNames.has(k)) return;
    this.roadNames.set(k, null);
    const [wl, wa] = this.gcj ? gcjToWgs(lon, lat) : [lon, lat]; // drawn coordinates -> the data's WGS84
    const r = await nearestRoad(wl, wa).catch(() => null);
    this.roadNames.set(k, r ? r.name : null);
    if (r && layer.isPopupOpen()) layer.getPopup().update();
  }

  _debounceIncidents() {
    clearTimeout(this._incTimer);
    this._incTimer = setTimeout(() => this._load('incidents'), 250);
  }

  async _incidents() {
    if (this.cfg.role !== 'planner') { this.hooks.status('incidents', '', true); return; } // planners only read incidents
    const signal = this._signal('incidents');
    if (!L.markerClusterGroup) {
      loadCss('vendor/leaflet.markercluster/MarkerCluster.css');
      loadCss('vendor/leaflet.markercluster/MarkerCluster.Default.css');
      await loadScript('vendor/leaflet.markercluster/leaflet.markercluster.js');
    }
    const b = this.map.getBounds();
    let sw = [b.getWest(), b.getSouth()], ne = [b.getEast(), b.getNorth()];
    if (this.gcj) { sw = gcjToWgs(sw[0], sw[1]); ne = gcjToWgs(ne[0], ne[1]); }
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    const bbox = [clamp(sw[0], -180, 180), clamp(sw[1], -90, 90), clamp(ne[0], -180, 180), clamp(ne[1], -90, 90)].map((v) => v.toFixed(6)).join(',');
    this.hooks.status('incidents', t('loading'), true);
    // One page (10,000, about 4 MB) when zoomed out, with a "zoom in" note; from zoom 14 on, the view
    // is small enough to follow the next links and show every incident in it (up to 30,000).
    const max = this.map.getZoom() >= 14 ? 30000 : 10000;
    const fc = await getAll(`/collections/incidents/items?${join(`bbox=${bbox}`, query(this.state))}`, signal, max);
    const feats = this._geo(fc).features || [];
    const group = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 50, disableClusteringAtZoom: 17, showCoverageOnHover: false });
    const sevColor = { fatal: '#000', serious: '#b2182b', minor: '#ef8a62', none: '#999' };
    const pts = [];
    for (const f of feats) {
      if (!f.geometry || f.geometry.type !== 'Point') continue;
      const p = f.properties || {};
      const m = L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], { radius: 5, weight: 1, color: '#fff', fillColor: sevColor[p.severity] || '#666', fillOpacity: 0.9 });
      const [lon, lat] = f.geometry.coordinates;
      m.bindPopup(() => '<div class="inc-pop">' + (this.roadName(lon, lat) ? roadLine(this.roadName(lon, lat)) : '') +
        Object.entries(p).filter(([, v]) => v !== null && typeof v !== 'object')
          .map(([k, v]) => `<b>${esc(k)}</b>: ${esc(v)}`).join('<br>') + '</div>');
      m.on('popupopen', () => this._lookupRoad(lon, lat, m));
      pts.push(m);
    }
    group.addLayers(pts);
    this._clear('incidents');
    if (!this.enabled.has('incidents')) return;
    this.groups.incidents = group.addTo(this.map);
    const matched = Number.isFinite(fc.numberMatched) ? fc.numberMatched : pts.length;
    this.info.incidents = { ok: true, n: pts.length, matched };
    this.hooks.status('incidents', t('incidents_shown', { n: num(pts.length), m: num(matched) }) + (matched > pts.length ? `; ${t('zoom_in_incidents')}` : ''), true);
  }

  /** Legend HTML of the enabled layers. */
  legendHTML() {
    let h = '';
    if (this.groups.areas) {
      const br = this.rateBreaks;
      const cols = RATE_COLORS.slice(RATE_COLORS.length - br.length - 1);
      h += `<div class="lg"><div class="lg-t">${t('layer.areas')}${this.areaYear ? ` · ${esc(this.areaYear)}` : ''}</div>`;
      cols.forEach((c, i) => {
        const lo = i === 0 ? null : br[i - 1], hi = i < br.length ? br[i] : null;
        const lab = lo === null && hi === null ? t('all') : lo === null ? `< ${num(hi, hi < 10 ? 1 : 0)}` : hi === null ? `≥ ${num(lo, lo < 10 ? 1 : 0)}` : `${num(lo, lo < 10 ? 1 : 0)} – ${num(hi, hi < 10 ? 1 : 0)}`;
        h += `<div><i style="background:${c}"></i>${lab}</div>`;
      });
      h += `<div><i style="background:${SUPPRESSED_COLOR}"></i>${esc(t('suppressed', { n: this.minCount }))}</div>`;
      if (!this.pub) h += `<div><i class="dash"></i>${esc(t('unstable'))}</div>`;
      h += '</div>';
    }
    if (this.groups.density && this.densityLegend && Array.isArray(this.densityLegend.colors)) {
      const lg = this.densityLegend;
      h += `<div class="lg"><div class="lg-t">${t('layer.density')} (${t('density_unit')})</div><div class="ramp">`;
      lg.colors.forEach((c, i) => {
        const v = (lg.breaks || [])[i];
        h += `<span><i style="background:${esc(c)}"></i>${Number.isFinite(v) && v > 0 ? num(v, Math.max(0, -Math.floor(Math.log10(v)))) : ''}</span>`;
      });
      h += '</div></div>';
    }
    if (this.groups.network && this.networkLegend && Array.isArray(this.networkLegend.colors)) {
      const lg = this.networkLegend;
      h += `<div class="lg lg-net"><div class="lg-t">${t('layer.network')} (${t('net_unit')})</div><div class="ramp">`;
      lg.colors.forEach((c, i) => {
        const v = (lg.breaks || [])[i];
        h += `<span><i style="background:${esc(c)}"></i>${Number.isFinite(v) && v > 0 ? num(v, Math.max(0, -Math.floor(Math.log10(v)))) : ''}</span>`;
      });
      h += '</div></div>';
    }
    if (this.groups.roadsites) {
      const br = this.roadSitesBreaks || [];
      h += `<div class="lg lg-rs"><div class="lg-t">${t('layer.roadsites')} · ${t('rs.excess')}</div>`;
      EXCESS_COLORS.slice(EXCESS_COLORS.length - br.length - 1).forEach((c, i) => {
        const lo = i === 0 ? null : br[i - 1], hi = i < br.length ? br[i] : null;
        const lab = lo === null && hi === null ? t('all') : lo === null ? `< ${num(hi, 1)}` : hi === null ? `≥ ${num(lo, 1)}` : `${num(lo, 1)} – ${num(hi, 1)}`;
        h += `<div><i style="background:${c}"></i>${lab}</div>`;
      });
      h += `<div><i class="rs-j"></i>${t('rs.junction')} <i class="rs-s"></i>${t('rs.section')}</div></div>`;
    }
    if (this.groups.hotspots) {
      h += `<div class="lg"><div class="lg-t">${t('layer.hotspots')}</div>`;
      for (const k of Object.keys(HOT_COLORS)) h += `<div><i style="background:${HOT_COLORS[k]}"></i>${t(k)}</div>`;
      h += '</div>';
    }
    if (this.groups.emerging && this.info.emerging) {
      const ie = this.info.emerging;
      h += `<div class="lg lg-em"><div class="lg-t">${t('layer.emerging')} · ${esc(t('step.' + ie.step))}${ie.first && ie.last ? ` ${esc(ie.first)}–${esc(ie.last)}` : ''}</div>`;
      // All 17 patterns, those present in the view in full, the others faint.
      // Hot patterns in the first column, their cold mirror images in the second; no pattern below.
      const item = ([k, c]) => {
        const n = ie.present[k] || 0;
        return `<div class="em-i${n ? ' on' : ''}" data-pattern="${k}"><i style="background:${c}"></i>${esc(t('ehsa.' + k))}${n ? ` (${num(n)})` : ''}${k === 'no_pattern' ? ` · ${esc(t('em_not_drawn'))}` : ''}</div>`;
      };
      h += `<div class="em-grid">${EHSA_PATTERNS.slice(0, 16).map(item).join('')}</div>${item(EHSA_PATTERNS[16])}`;
      if (this.pub) h += `<div class="note">${esc(t('em_pub_note'))}</div>`;
      h += '</div>';
    }
    if (this.groups.blackspots) h += `<div class="lg"><div><span class="bs-icon lg-bs"><span>1</span></span> ${t('layer.blackspots')}${this.pub && this.blackspots[0] && Number.isFinite(this.blackspots[0].properties.square_m) ? ` (${t('square', { m: num(this.blackspots[0].properties.square_m) })})` : ''}</div></div>`;
    const r = this.cfg.release;
    if (this.pub && r && r.id) h += `<div class="lg lg-rel">${esc(t('release_line', { id: r.id, from: r.first_quarter || '', to: r.last_quarter || '' }))}</div>`;
    return h;
  }
}

/** Loads a classic script (a Leaflet plugin) once; resolves when it ran. */
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

/** Adds a stylesheet link once. */
export function loadCss(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = href;
  document.head.appendChild(l);
}

/**
 * All features of an OGC API items query, following the "next" links (limit 10000 a page) until
 * numberMatched or max features. Returns one FeatureCollection.
 */
export async function getAll(path, signal, max = 50000) {
  const [base, q] = path.split('?');
  const first = await getJSON(`${base}?${join(q, 'limit=10000')}`, signal);
  const feats = first.features || [];
  let page = first;
  while (feats.length < max && Number.isFinite(first.numberMatched) && feats.length < first.numberMatched) {
    const next = (page.links || []).find((l) => l.rel === 'next');
    if (!next || !(page.features || []).length) break;
    const u = new URL(next.href, location.href);
    page = await getJSON(u.pathname + u.search, signal);
    feats.push(...(page.features || []));
  }
  return { ...first, features: feats, numberReturned: feats.length };
}

/** Joins query-string parts, skipping empty ones (the server rejects an empty parameter). */
export function join(...parts) {
  return parts.filter(Boolean).join('&');
}
