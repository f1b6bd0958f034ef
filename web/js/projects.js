// projects.js - the safety-promotion projects (issue 12; API.md "Projects", PROGRAMME.md): their layer on
// the map, the list per working group with each project's effect, the detail with its evaluation
// charts, the planners' and editors' form with a drawn location, and the supervision view.
//
// Data: /collections/projects/items (the map: drawn location or areas; road-site projects are placed
// on their screened sites from /collections/road_sites), /api/projects (list, form: the full object
// with its version), /api/projects/{id}/evaluation (projeval.h's JSON, asked when a project is opened
// and for the first EVAL_AHEAD items of the list, one at a time). The public sees what the API gives
// it and no editing control.
import { getJSON, authHeaders } from './api.js';
import { featuresToGcj, gcjToWgs } from './gcj02.js';
import { t, num, lang } from './i18n.js';
import { esc, beforeAfter, itsChart } from './charts.js';

const L = window.L;
const $ = (id) => document.getElementById(id);
export const STATUSES = ['planned', 'active', 'finished', 'stopped'];
export const TYPES = ['engineering', 'enforcement', 'education', 'environment', 'services', 'other'];
const STATUS_COLOR = { planned: '#7f7f7f', active: '#1f78b4', finished: '#33a02c', stopped: '#b15928' };
const EVAL_AHEAD = 8; // evaluations asked ahead for the list (each one is a full analysis on the server)

/** The local date today, YYYY-MM-DD. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Overdue: active past its end date, or planned past its start date (dates YYYY-MM-DD compare as text). */
export function overdue(p, day = today()) {
  if (p.status === 'active') return !!p.end && p.end < day;
  if (p.status === 'planned') return !!p.start && p.start < day;
  return false;
}

/** POST/PUT/DELETE with a JSON body -> { status, json } (json null when the answer has none). */
async function send(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...authHeaders() },
    body: body ? JSON.stringify(body) : undefined,
  });
  let json = null;
  try { json = await res.json(); } catch { /* 204 */ }
  return { status: res.status, json };
}

const list = (s) => String(s || '').split(/[,，\n]/).map((x) => x.trim()).filter(Boolean);

export class Projects {
  /** page: main.js's page object (map, cfg, state); canEdit: an editor's or a planner's token. */
  constructor(page, { canEdit }) {
    this.page = page;
    this.map = page.map;
    this.canEdit = canEdit;
    this.gcj = !!(page.cfg.basemap && page.cfg.basemap.url && page.cfg.basemap.gcj02);
    this.items = []; // /api/projects's projects
    this.evals = new Map(); // id -> { version, res } | { version, error }
    this.pending = new Map(); // id -> promise
    this.current = null; // the project shown in the detail
    this.drawn = null; // the form's location (GeoJSON geometry, lon/lat) or null
    this.map.createPane('projects').style.zIndex = '640';
    this.layer = L.featureGroup().addTo(this.map);
    this.draft = L.featureGroup().addTo(this.map);
    this.drawing = null;
    this._bind();
  }

  groups() { return (this.page.cfg.groups || []).map((g) => g.key); }

  /** The page's working group changed: the list follows it. */
  followGroup(g) {
    if (!this.groups().includes(g)) return;
    $('pj-group').value = g;
    this.renderList();
  }

  groupName(k) {
    const g = (this.page.cfg.groups || []).find((x) => x.key === k);
    return g ? (lang() === 'en' ? g.name_en : g.name_zh) : k;
  }

  title(p) { return lang() === 'en' && p.title_en ? p.title_en : p.title; }

  _bind() {
    const gsel = $('pj-group'), keepG = gsel.value, keepS = $('pj-status').value;
    gsel.replaceChildren(new Option(t('all'), ''), ...this.groups().map((k) => new Option(this.groupName(k), k)));
    const ssel = $('pj-status');
    ssel.replaceChildren(new Option(t('all'), ''), ...STATUSES.map((s) => new Option(t('pj.st.' + s), s)));
    const g0 = this.page.state && this.groups().includes(this.page.state.g) ? this.page.state.g : '';
    gsel.value = keepG || g0; // kept across a language switch
    ssel.value = keepS;
    gsel.onchange = () => this.renderList();
    ssel.onchange = () => this.renderList();
    $('pj-new').hidden = !this.canEdit;
    $('pj-new').onclick = () => this.openForm(null);
    $('pj-super-btn').onclick = () => this.toggleSupervision();
    $('pj-layer').onchange = (e) => { if (e.target.checked) this.layer.addTo(this.map); else this.layer.remove(); };
  }

  /** Reads the list and the collection again, then redraws. */
  async load() {
    const msg = $('pj-msg');
    try {
      const [r, fc] = await Promise.all([getJSON('/api/projects?limit=1000'), getJSON('/collections/projects/items?limit=1000')]);
      this.items = r.projects || [];
      await this.drawLayer(fc);
      msg.textContent = '';
    } catch (e) {
      this.items = [];
      msg.textContent = `${t('unavailable')} (${e.message})`;
    }
    this.renderList();
    if (!$('pj-super').hidden) this.renderSupervision();
  }

  // ---- the map
  async drawLayer(fc) {
    this.layer.clearLayers();
    const feats = (fc.features || []).filter((f) => f.geometry);
    const style = (f) => ({ pane: 'projects', color: STATUS_COLOR[f.properties.status] || '#333', weight: 2.5, dashArray: f.properties.located_by === 'areas' ? '6 4' : null, fillOpacity: 0.12 });
    const geo = L.geoJSON(this.gcj ? featuresToGcj({ type: 'FeatureCollection', features: feats }) : { type: 'FeatureCollection', features: feats }, {
      pane: 'projects',
      style,
      pointToLayer: (f, ll) => L.circleMarker(ll, { ...style(f), radius: 8, fillOpacity: 0.7, fillColor: STATUS_COLOR[f.properties.status] }),
      onEachFeature: (f, l) => this._hook(l, f.id ?? f.properties.id),
    });
    geo.eachLayer((l) => { l.options.className = 'pj-shape'; this.layer.addLayer(l); });
    // Road-site projects have no geometry in the collection: placed on their screened sites
    // (planners and editors; the public's road sites are not published).
    const siteOnly = this.items.filter((p) => !p.location && !(p.areas || []).length && (p.sites || []).length);
    if (!siteOnly.length || !this.canEdit) return;
    try {
      const sfc = await getJSON('/collections/road_sites/items?limit=1000');
      const byId = new Map((sfc.features || []).map((f) => [String(f.properties.id ?? f.id), f])); // "J<node>", "S<segment>"
      for (const p of siteOnly) {
        for (const sid of p.sites) {
          const f = byId.get(sid);
          if (!f || !f.geometry) continue;
          const g = this.gcj ? featuresToGcj({ type: 'FeatureCollection', features: [f] }).features[0] : f;
          const l = L.geoJSON(g, { pane: 'projects', pointToLayer: (_, ll) => L.circleMarker(ll, { pane: 'projects', radius: 9, color: STATUS_COLOR[p.status], weight: 3, fillOpacity: 0.3 }), style: { color: STATUS_COLOR[p.status], weight: 6 } });
          l.eachLayer((x) => { this._hook(x, p.id); this.layer.addLayer(x); });
        }
      }
    } catch { /* the screening is unavailable: the list still names the sites */ }
  }

  _hook(l, id) {
    l.projectId = Number(id);
    const p = this.items.find((x) => x.id === Number(id));
    if (p) l.bindTooltip(`${esc(this.title(p))} · ${esc(t('pj.st.' + p.status))}`, { sticky: true });
    l.on('click', () => { if (!this.drawing) this.openDetail(Number(id)); }); // a click while drawing is a vertex
  }

  // ---- the list
  filtered() {
    const g = $('pj-group').value, s = $('pj-status').value;
    return this.items.filter((p) => (!g || p.group === g) && (!s || p.status === s));
  }

  renderList() {
    const ol = $('pj-list');
    ol.replaceChildren();
    const order = this.groups();
    const shown = this.filtered().sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group) || a.id - b.id);
    let last = null;
    for (const p of shown) {
      if (p.group !== last && !$('pj-group').value) { // a heading per working group
        const h = document.createElement('li');
        h.className = 'pj-gh';
        h.textContent = this.groupName(p.group);
        ol.append(h);
      }
      last = p.group;
      const li = document.createElement('li');
      li.className = 'pj-item';
      li.dataset.id = p.id;
      if (overdue(p)) li.classList.add('overdue');
      const b = document.createElement('button');
      b.type = 'button';
      b.innerHTML = `<b class="pj-title">${esc(this.title(p))}</b> <span class="pj-st st-${esc(p.status)}">${esc(t('pj.st.' + p.status))}</span>`
        + `${overdue(p) ? ` <span class="pj-overdue">${esc(t('pj.overdue'))}</span>` : ''}`
        + `<br><span class="pj-dates">${esc(p.start)} → ${esc(p.end || '…')}</span> · <span class="pj-effect">${this.effectText(p)}</span>`;
      b.onclick = () => this.openDetail(p.id);
      li.append(b);
      ol.append(li);
    }
    $('pj-count').textContent = t('pj.count', { n: shown.length, m: this.items.length });
    this._evalAhead(shown.slice(0, EVAL_AHEAD));
  }

  effectText(p) {
    const e = this.evals.get(p.id);
    if (!e || e.version !== p.version) return esc(t('pj.effect_pending'));
    if (e.error) return esc(t('pj.effect_none'));
    const f = e.res.effect;
    if (!f || !Number.isFinite(f.estimate)) return esc(t('pj.effect_none'));
    return `${esc(t('pj.m.' + f.method))} ${num(f.estimate, 2)} (${num(f.ci[0], 2)}–${num(f.ci[1], 2)}) <i>${esc(t('pj.v.' + f.verdict))}</i>`;
  }

  /** Evaluations for the first items, one request at a time across every call; each redraws its item's effect. */
  _evalAhead(ps) {
    this.queue = (this.queue || Promise.resolve()).then(() => this._evalEach(ps));
  }

  async _evalEach(ps) {
    for (const p of ps) {
      await this.evaluation(p);
      const el = document.querySelector(`#pj-list li[data-id="${p.id}"] .pj-effect`);
      if (el) el.innerHTML = this.effectText(p);
    }
  }

  /** The evaluation of p (remembered per version); null when it cannot be had. */
  async evaluation(p) {
    const e = this.evals.get(p.id);
    if (e && e.version === p.version) return e.res || null;
    if (this.pending.has(p.id)) return this.pending.get(p.id);
    const pr = getJSON(`/api/projects/${p.id}/evaluation`).then((res) => {
      this.evals.set(p.id, { version: p.version, res });
      return res;
    }, (err) => {
      this.evals.set(p.id, { version: p.version, error: err.message });
      return null;
    }).finally(() => this.pending.delete(p.id));
    this.pending.set(p.id, pr);
    return pr;
  }

  // ---- the detail
  async openDetail(id) {
    const p = this.items.find((x) => x.id === id);
    if (!p) return;
    this.current = p;
    const d = $('pj-detail');
    d.hidden = false;
    $('pj-form').hidden = true;
    const row = (k, v) => (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length) ? '' : `<tr><th>${esc(t(k))}</th><td>${v}</td></tr>`);
    const loc = p.location ? esc(t('pj.drawn', { type: p.location.type })) + (p.buffer_m ? ` (${num(p.buffer_m)} m)` : '')
      : (p.areas || []).length ? `${esc(t('pj.areas'))}: ${esc(p.areas.join(', '))}` : `${esc(t('pj.sites'))}: ${esc((p.sites || []).join(', '))}`;
    let h = `<h3 class="pj-d-title">${esc(this.title(p))}</h3>`;
    if (overdue(p)) h += `<div class="pj-overdue">${esc(t('pj.overdue_long'))}</div>`;
    h += '<table class="pj-props">'
      + row('pj.group', esc(this.groupName(p.group))) + row('pj.type', esc(t('pj.ty.' + p.type)))
      + row('pj.status', esc(t('pj.st.' + p.status))) + row('pj.dates', `${esc(p.start)} → ${esc(p.end || '…')}`)
      + row('pj.target', esc(p.target || t('pj.target_group'))) + row('pj.location', loc)
      + row('pj.lead', p.lead_unit ? esc(p.lead_unit) : '') + row('pj.partners', (p.partners || []).map(esc).join(', '))
      + row('pj.indicators_h', (p.indicators || []).length ? `<ul>${p.indicators.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : '')
      + (p.version ? row('pj.version', String(p.version)) : '') + '</table>';
    if (p.description) h += `<p class="pj-desc">${esc(p.description)}</p>`;
    h += `<div class="row"><button id="pj-zoom" type="button">${esc(t('pj.zoom'))}</button>`
      + `<button id="pj-report" type="button">${esc(t('pj.report'))}</button>`
      + (this.canEdit ? `<button id="pj-edit" type="button">${esc(t('pj.edit'))}</button>` : '')
      + `<button id="pj-close" type="button">${esc(t('pj.close'))}</button></div>`;
    h += `<div id="pj-eval" aria-live="polite">${esc(t('loading'))}</div>`;
    d.innerHTML = h;
    $('pj-zoom').onclick = () => this.zoomTo(p.id);
    $('pj-report').onclick = () => this.page.openReport(p.group);
    $('pj-close').onclick = () => { d.hidden = true; this.current = null; };
    if (this.canEdit) $('pj-edit').onclick = () => this.openForm(p);
    const res = await this.evaluation(p);
    if (this.current !== p) return;
    const e = this.evals.get(p.id);
    $('pj-eval').innerHTML = res ? this.evalHTML(res) : `<div class="note">${esc(t('pj.eval_unavailable'))}${e && e.error ? ` (${esc(e.error)})` : ''}</div>`;
  }

  zoomTo(id) {
    const ls = this.layer.getLayers().filter((l) => l.projectId === id);
    if (!ls.length) return;
    const b = L.featureGroup(ls).getBounds();
    if (b.isValid()) this.map.fitBounds(b, { maxZoom: 16, animate: false });
  }

  /** The evaluation (projeval.h's JSON): the effect, then each method with its chart and assumptions. */
  evalHTML(r) {
    const ci = (c) => (Array.isArray(c) ? `${num(c[0], 2)}–${num(c[1], 2)}` : '–');
    let h = `<h4>${esc(t('pj.evaluation'))}</h4>`;
    if (r.before && r.after) h += `<div class="note">${esc(t('before'))} ${esc(r.before.from)} → ${esc(r.before.to)} · ${esc(t('after'))} ${esc(r.after.from)} → ${esc(r.after.to)}</div>`;
    const f = r.effect;
    if (f && Number.isFinite(f.estimate)) h += `<div class="rr pj-effect-line">${esc(t('pj.m.' + f.method))}: <b>${num(f.estimate, 2)}</b> (${t('ci')} ${ci(f.ci)}) <i>${esc(t('pj.v.' + f.verdict))}</i></div>`;
    else h += `<div class="note">${esc(t('pj.effect_none'))}</div>`;
    for (const m of r.methods || []) {
      h += `<div class="pj-method" data-method="${esc(m.method)}"><h5>${esc(t('pj.m.' + m.method))}</h5>`;
      if (m.suppressed) h += `<div class="note">${esc(t('suppressed', { n: this.page.cfg.min_count ?? 10 }))}</div>`;
      else if (m.method === 'rate_ratio') h += this._rrHTML(m, r, ci);
      else if (m.method === 'its') h += this._itsHTML(m, ci);
      else if (m.method === 'eb_before_after') h += this._ebHTML(m);
      if (Array.isArray(m.assumptions) && m.assumptions.length) h += `<details><summary>${esc(t('pj.assumptions'))}</summary><ul>${m.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul></details>`;
      h += '</div>';
    }
    for (const s of r.skipped || []) h += `<div class="note">${esc(t('pj.m.' + s.method))}: ${esc(t('pj.skipped'))} (${esc(s.reason)})</div>`;
    for (const w of r.warnings || []) h += `<div class="note warn">${esc(w)}</div>`;
    return h;
  }

  _rrHTML(m, r, ci) {
    // Rates per 100,000 per year over the windows' days, with exact-enough Wald whiskers on ln rate.
    const py = (m.population || 0) * ((r.days || 365) / 365.25) / 1e5;
    const rate = (n) => (py > 0 && Number.isFinite(n) ? n / py : null);
    const wh = (n) => (n > 0 && py > 0 ? [n * Math.exp(-1.96 / Math.sqrt(n)) / py, n * Math.exp(1.96 / Math.sqrt(n)) / py] : [null, null]);
    const items = [
      { label: t('before'), value: rate(m.before), lo: wh(m.before)[0], hi: wh(m.before)[1], color: '#9e9ac8' },
      { label: t('after'), value: rate(m.after), lo: wh(m.after)[0], hi: wh(m.after)[1], color: '#6a51a3' },
    ];
    let h = `<div>${t('rr')} = <b>${num(m.rr, 2)}</b> (${ci(m.rr_ci)}) · ${t('count')} ${num(m.before)} → ${num(m.after)}</div>`;
    if (m.comparison) h += `<div>${t('rrr')} = <b>${num(m.rrr, 2)}</b> (${ci(m.rrr_ci)}) · ${esc(t('pj.cmp'))} ${esc((m.comparison_areas || []).join(', '))} (${esc(t('pj.chosen.' + m.comparison_chosen))}) ${num(m.comparison_before)} → ${num(m.comparison_after)}</div>`;
    return h + `<div class="pj-chart pj-ba">${beforeAfter(items, { unit: t('rate_unit') })}</div>`;
  }

  _itsHTML(m, ci) {
    const c = (x) => (x ? `${num(x.estimate, 3)} (${ci(x.ci)})` : '–');
    return `<div>${esc(t('pj.level'))} ${c(m.level_change)} · ${esc(t('pj.slope'))} ${c(m.slope_change)}</div>`
      + `<div class="note">${esc(t('pj.dispersion'))} ${num(m.dispersion, 2)} · df ${num(m.df)} · ${esc(m.seasonality || '')}</div>`
      + `<div class="pj-chart pj-its">${itsChart(m, { labels: { count: t('count'), fit: t('pj.fit'), cf: t('pj.counterfactual'), start: t('pj.intervention') } })}</div>`;
  }

  _ebHTML(m) {
    const items = [
      { label: t('pj.eb_obs_b'), value: m.observed_before, color: '#bdbdbd' },
      { label: t('pj.eb_exp_b'), value: m.eb_expected_before, color: '#9e9ac8' },
      { label: t('pj.eb_exp_a'), value: m.expected_after, color: '#fdae6b' },
      { label: t('pj.eb_obs_a'), value: m.observed_after, color: '#e6550d' },
    ];
    return `<div>θ = <b>${num(m.theta, 3)}</b> (${t('ci')} ${Array.isArray(m.ci) ? `${num(m.ci[0], 3)}–${num(m.ci[1], 3)}` : '–'}) · SE ${num(m.se, 3)} · ${esc(t('pj.theta_naive'))} ${num(m.theta_naive, 3)}</div>`
      + `<div class="note">${esc(t('pj.sites'))}: ${esc((m.sites || []).join(', '))}</div>`
      + `<div class="pj-chart pj-eb">${beforeAfter(items, { width: 260, unit: t('pj.crashes') })}</div>`;
  }

  // ---- the form (editors and planners)
  openForm(p) {
    if (!this.canEdit) return;
    const f = $('pj-form');
    f.hidden = false;
    $('pj-detail').hidden = true;
    $('pj-form-msg').textContent = '';
    $('pj-form-msg').className = 'note';
    this.editing = p ? { ...p } : null;
    $('pj-form-title').textContent = t(p ? 'pj.edit' : 'pj.new');
    const g = $('pjf-group');
    g.replaceChildren(...this.groups().map((k) => new Option(this.groupName(k), k)));
    $('pjf-type').replaceChildren(...TYPES.map((k) => new Option(t('pj.ty.' + k), k)));
    $('pjf-status').replaceChildren(...STATUSES.map((k) => new Option(t('pj.st.' + k), k)));
    const v = p || { group: $('pj-group').value || this.groups()[0], type: 'engineering', status: 'planned', start: today() };
    const set = (id, x) => { $(id).value = x ?? ''; };
    set('pjf-title', v.title); set('pjf-title-en', v.title_en); set('pjf-group', v.group); set('pjf-type', v.type);
    set('pjf-status', v.status); set('pjf-start', v.start); set('pjf-end', v.end); set('pjf-target', v.target);
    set('pjf-areas', (v.areas || []).join(', ')); set('pjf-sites', (v.sites || []).join(', '));
    set('pjf-lead', v.lead_unit); set('pjf-partners', (v.partners || []).join(', '));
    set('pjf-ind', (v.indicators || []).join('\n')); set('pjf-desc', v.description);
    set('pjf-buffer', v.buffer_m || '');
    this.setDrawn(v.location || null);
    f.onsubmit = (e) => { e.preventDefault(); this.save(); };
    $('pjf-cancel').onclick = () => { this.stopDrawing(); this.setDrawn(null); f.hidden = true; };
    $('pjf-point').onclick = () => this.startDrawing('Point');
    $('pjf-poly').onclick = () => this.startDrawing('Polygon');
    $('pjf-clear').onclick = () => { this.stopDrawing(); this.setDrawn(null); };
    $('pjf-del').hidden = !p;
    $('pjf-del').onclick = () => this.remove();
  }

  /** The object the form describes (the read one's members kept: the store ignores its own). */
  formObject() {
    const val = (id) => $(id).value.trim();
    const o = {
      ...(this.editing || {}),
      title: val('pjf-title'), title_en: val('pjf-title-en') || null, group: val('pjf-group'), type: val('pjf-type'),
      status: val('pjf-status'), start: val('pjf-start'), end: val('pjf-end') || null, target: val('pjf-target'),
      areas: list(val('pjf-areas')), sites: list(val('pjf-sites')), lead_unit: val('pjf-lead') || null,
      partners: list(val('pjf-partners')), indicators: $('pjf-ind').value.split('\n').map((x) => x.trim()).filter(Boolean),
      description: val('pjf-desc') || null, location: this.drawn,
    };
    const b = Number(val('pjf-buffer'));
    if (this.drawn && this.drawn.type !== 'Polygon' && b > 0) o.buffer_m = b; else delete o.buffer_m;
    return o;
  }

  async save() {
    const msg = $('pj-form-msg');
    const o = this.formObject();
    const r = this.editing ? await send('PUT', `/api/projects/${this.editing.id}`, o) : await send('POST', '/api/projects', o);
    if (r.status === 200 || r.status === 201) {
      this.stopDrawing();
      this.setDrawn(null);
      $('pj-form').hidden = true;
      await this.load();
      this.openDetail(r.json.id);
      return;
    }
    msg.className = 'note bad';
    if (r.status === 409) msg.textContent = t('pj.conflict', { v: this.editing ? this.editing.version : '' });
    else msg.textContent = `${t('pj.save_failed')}: ${r.status}${r.json && r.json.description ? ` ${r.json.description}` : ''}`;
  }

  async remove() {
    const p = this.editing;
    if (!p || !window.confirm(t('pj.confirm_delete', { title: this.title(p) }))) return;
    const r = await send('DELETE', `/api/projects/${p.id}?version=${p.version}`);
    const msg = $('pj-form-msg');
    if (r.status === 204) { $('pj-form').hidden = true; this.setDrawn(null); await this.load(); return; }
    msg.className = 'note bad';
    msg.textContent = r.status === 409 ? t('pj.conflict', { v: p.version }) : `${t('pj.save_failed')}: ${r.status}`;
  }

  // ---- drawing a location with Leaflet's own events: a point is one click; a polygon is clicks,
  // closed by a click on its first vertex, a double click or the "finish" button.
  setDrawn(g) {
    this.drawn = g;
    this.draft.clearLayers();
    if (g) {
      const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: g }] };
      L.geoJSON(this.gcj ? featuresToGcj(fc) : fc, { pane: 'projects', style: { color: '#e31a1c', weight: 3, fillOpacity: 0.15 }, pointToLayer: (_, ll) => L.circleMarker(ll, { pane: 'projects', radius: 9, color: '#e31a1c' }) }).addTo(this.draft);
    }
    $('pjf-loc').textContent = g ? t('pj.drawn', { type: g.type }) + (g.type === 'Point' ? ` ${g.coordinates[1].toFixed(5)}, ${g.coordinates[0].toFixed(5)}` : ` (${g.coordinates[0].length - 1})`) : t('pj.no_drawn');
  }

  _lonlat(ll) {
    const [x, y] = this.gcj ? gcjToWgs(ll.lng, ll.lat) : [ll.lng, ll.lat];
    return [+x.toFixed(7), +y.toFixed(7)];
  }

  startDrawing(type) {
    this.stopDrawing();
    const pts = [];
    const line = L.polyline([], { pane: 'projects', color: '#e31a1c', dashArray: '4 4' }).addTo(this.draft);
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add('pj-drawing');
    $('pjf-finish').hidden = type !== 'Polygon';
    $('pjf-hint').textContent = t(type === 'Point' ? 'pj.hint_point' : 'pj.hint_poly');
    const finish = () => {
      if (pts.length < 3) return;
      const ring = [...pts.map((ll) => this._lonlat(ll)), this._lonlat(pts[0])];
      this.stopDrawing();
      this.setDrawn({ type: 'Polygon', coordinates: [ring] });
    };
    const click = (e) => {
      if (type === 'Point') { this.stopDrawing(); this.setDrawn({ type: 'Point', coordinates: this._lonlat(e.latlng) }); return; }
      if (pts.length >= 3 && this.map.latLngToContainerPoint(pts[0]).distanceTo(e.containerPoint) < 10) { finish(); return; }
      pts.push(e.latlng);
      line.setLatLngs(pts);
    };
    const dbl = () => finish();
    this.map.on('click', click);
    this.map.on('dblclick', dbl);
    $('pjf-finish').onclick = finish;
    this.drawing = () => { this.map.off('click', click); this.map.off('dblclick', dbl); line.remove(); };
  }

  stopDrawing() {
    if (!this.drawing) return;
    this.drawing();
    this.drawing = null;
    this.map.doubleClickZoom.enable();
    this.map.getContainer().classList.remove('pj-drawing');
    $('pjf-finish').hidden = true;
    $('pjf-hint').textContent = '';
  }

  // ---- supervision: the projects by group and status, the overdue ones marked
  toggleSupervision() {
    const s = $('pj-super');
    s.hidden = !s.hidden;
    if (!s.hidden) this.renderSupervision();
  }

  renderSupervision() {
    const day = today();
    const gs = this.groups().filter((k) => this.items.some((p) => p.group === k));
    let h = `<table class="pj-super"><thead><tr><th>${esc(t('pj.group'))}</th>${STATUSES.map((s) => `<th>${esc(t('pj.st.' + s))}</th>`).join('')}<th>${esc(t('pj.overdue'))}</th></tr></thead><tbody>`;
    for (const g of gs) {
      const ps = this.items.filter((p) => p.group === g);
      const od = ps.filter((p) => overdue(p, day)).length;
      h += `<tr data-group="${esc(g)}"><th>${esc(this.groupName(g))}</th>${STATUSES.map((s) => `<td>${ps.filter((p) => p.status === s).length || ''}</td>`).join('')}<td class="${od ? 'pj-od' : ''}">${od || ''}</td></tr>`;
    }
    h += '</tbody></table>';
    const od = this.items.filter((p) => overdue(p, day));
    h += `<h4>${esc(t('pj.overdue_list'))} (${od.length})</h4><ul class="pj-od-list">`;
    for (const p of od) {
      const why = p.status === 'active' ? t('pj.why_end', { d: p.end }) : t('pj.why_start', { d: p.start });
      h += `<li data-id="${p.id}"><a href="#" data-id="${p.id}">${esc(this.title(p))}</a> · ${esc(this.groupName(p.group))} · ${esc(why)}</li>`;
    }
    $('pj-super').innerHTML = `${h}</ul>`;
    $('pj-super').querySelectorAll('a[data-id]').forEach((a) => { a.onclick = (e) => { e.preventDefault(); this.openDetail(Number(a.dataset.id)); }; });
  }
}

