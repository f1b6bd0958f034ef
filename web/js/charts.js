// charts.js - tiny inline SVG charts (hour, weekday, yearly trend, before/after, emerging series), no library.

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/**
 * Bars for values (numbers; null = missing, drawn as a grey stub). labels: text under some bars
 * (array of the same length, '' to skip). Returns an SVG string.
 */
export function bars(values, { labels = [], width = 220, height = 54, color = '#c0392b', title = '' } = {}) {
  const n = values.length || 1;
  const max = Math.max(1, ...values.map((v) => (Number.isFinite(v) ? v : 0)));
  const bw = width / n;
  const h = height - 12;
  let out = `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`;
  values.forEach((v, i) => {
    const ok = Number.isFinite(v);
    const bh = ok ? Math.max(v > 0 ? 1 : 0, (v / max) * (h - 2)) : 2;
    out += `<rect x="${(i * bw + 0.5).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${ok ? color : '#bbb'}"><title>${esc(labels[i] || i)}: ${ok ? v : '–'}</title></rect>`;
    if (labels[i]) out += `<text x="${(i * bw + bw / 2).toFixed(1)}" y="${height - 1}" font-size="9" text-anchor="middle" fill="#444">${esc(labels[i])}</text>`;
  });
  out += `<line x1="0" y1="${h}" x2="${width}" y2="${h}" stroke="#888" stroke-width="0.5"/></svg>`;
  return out;
}

/** Before/after rates with CI whiskers: items [{label, value, lo, hi, color}]. */
export function beforeAfter(items, { width = 220, height = 124, unit = '' } = {}) {
  const max = Math.max(1e-9, ...items.map((d) => Math.max(d.value || 0, d.hi || 0)));
  const top = 26; // room for the unit line and the value labels
  const h = height - top - 20;
  const bw = width / items.length;
  let out = `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`;
  items.forEach((d, i) => {
    const x = i * bw + bw * 0.2, w = bw * 0.6;
    const y = (v) => top + h - (v / max) * h;
    if (Number.isFinite(d.value)) {
      out += `<rect x="${x.toFixed(1)}" y="${y(d.value).toFixed(1)}" width="${w.toFixed(1)}" height="${(top + h - y(d.value)).toFixed(1)}" fill="${d.color}"/>`;
      out += `<text x="${(x + w / 2).toFixed(1)}" y="${(y(d.value) - 2).toFixed(1)}" font-size="10" text-anchor="middle">${d.value.toFixed(1)}</text>`;
    }
    if (Number.isFinite(d.lo) && Number.isFinite(d.hi)) {
      const cx = (x + w / 2).toFixed(1);
      out += `<line x1="${cx}" x2="${cx}" y1="${y(d.lo).toFixed(1)}" y2="${y(d.hi).toFixed(1)}" stroke="#222"/>`;
    }
    out += `<text x="${(x + w / 2).toFixed(1)}" y="${height - 6}" font-size="10" text-anchor="middle">${esc(d.label)}</text>`;
  });
  out += `<line x1="0" y1="${top + h}" x2="${width}" y2="${top + h}" stroke="#888" stroke-width="0.5"/>`;
  if (unit) out += `<text x="2" y="9" font-size="9" fill="#555">${esc(unit)}</text>`;
  return out + '</svg>';
}

/**
 * An emerging hot spot's series (/collections/emerging/items/{id}: {step, count, z, class}): counts
 * as grey bars on the left scale, Gi* z as a line on a scale symmetric about 0 (its zero line dashed),
 * and each step significant at the cube's FDR marked on the line: hot red, cold blue. A null count
 * (withheld from the public) is a short hatched stub, never a value.
 */
export function emergingChart(s, { width = 260, height = 132, title = '', hot = '#d7191c', cold = '#2c7bb6', labels = {} } = {}) {
  const steps = Array.isArray(s && s.step) ? s.step : [];
  const n = steps.length;
  if (!n) return '';
  const at = (a, i) => (Array.isArray(a) ? a[i] : undefined);
  const top = 14, left = 26, right = 26, axis = 14;
  const w = width - left - right, h = height - top - axis;
  const bw = w / n;
  const cmax = Math.max(1, ...steps.map((_, i) => (Number.isFinite(at(s.count, i)) ? at(s.count, i) : 0)));
  const zabs = Math.max(2, ...steps.map((_, i) => (Number.isFinite(at(s.z, i)) ? Math.abs(at(s.z, i)) : 0)));
  const xc = (i) => left + i * bw + bw / 2;
  const yc = (v) => top + h - (v / cmax) * h;
  const yz = (v) => top + h / 2 - (v / zabs) * (h / 2);
  const f = (v) => v.toFixed(1);
  let out = `<svg class="chart em-chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`;
  steps.forEach((st, i) => {
    const c = at(s.count, i);
    const x = left + i * bw + (bw > 3 ? 0.5 : 0);
    const bwid = Math.max(0.6, bw - (bw > 3 ? 1 : 0.2));
    if (Number.isFinite(c)) {
      const bh = Math.max(c > 0 ? 1 : 0, (c / cmax) * h);
      out += `<rect class="em-bar" x="${f(x)}" y="${f(top + h - bh)}" width="${f(bwid)}" height="${f(bh)}" fill="#bdbdbd"><title>${esc(st)}: ${c}</title></rect>`;
    } else {
      out += `<rect class="em-bar em-null" x="${f(x)}" y="${f(top + h - 3)}" width="${f(bwid)}" height="3" fill="none" stroke="#999" stroke-dasharray="1 1"><title>${esc(st)}: ${esc(labels.withheld || '–')}</title></rect>`;
    }
  });
  out += `<line x1="${left}" x2="${left + w}" y1="${f(yz(0))}" y2="${f(yz(0))}" stroke="#888" stroke-width="0.5" stroke-dasharray="3 2"/>`;
  const pts = steps.map((_, i) => (Number.isFinite(at(s.z, i)) ? `${f(xc(i))},${f(yz(at(s.z, i)))}` : null));
  // The z line, broken where a step has no z.
  let run = [];
  const flush = () => { if (run.length > 1) out += `<polyline class="em-z" points="${run.join(' ')}" fill="none" stroke="#333" stroke-width="1.2"/>`; run = []; };
  pts.forEach((p) => { if (p) run.push(p); else flush(); });
  flush();
  const r = Math.max(1.5, Math.min(3.5, bw / 2.5));
  steps.forEach((st, i) => {
    const k = at(s.class, i), z = at(s.z, i);
    if ((k === 1 || k === -1) && Number.isFinite(z)) {
      out += `<circle class="em-sig ${k === 1 ? 'hot' : 'cold'}" cx="${f(xc(i))}" cy="${f(yz(z))}" r="${f(r)}" fill="${k === 1 ? hot : cold}"><title>${esc(st)}: z = ${z.toFixed(2)}</title></circle>`;
    }
  });
  // Axes: counts on the left, z on the right, first / middle / last step below.
  out += `<line x1="${left}" x2="${left + w}" y1="${top + h}" y2="${top + h}" stroke="#888" stroke-width="0.5"/>`;
  out += `<text x="${left - 2}" y="${top + 4}" font-size="9" text-anchor="end" fill="#666">${cmax}</text><text x="${left - 2}" y="${top + h}" font-size="9" text-anchor="end" fill="#666">0</text>`;
  out += `<text x="${left + w + 2}" y="${top + 4}" font-size="9" fill="#333">${f(zabs)}</text><text x="${left + w + 2}" y="${f(yz(0) + 3)}" font-size="9" fill="#333">0</text><text x="${left + w + 2}" y="${top + h}" font-size="9" fill="#333">−${f(zabs)}</text>`;
  const ticks = [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
  for (const i of ticks) out += `<text x="${f(xc(i))}" y="${height - 2}" font-size="9" text-anchor="${i === 0 && n > 1 ? 'start' : i === n - 1 && n > 1 ? 'end' : 'middle'}" fill="#444">${esc(steps[i])}</text>`;
  out += `<text x="${left}" y="9" font-size="9" fill="#666">${esc(labels.count || 'count')}</text><text x="${left + w}" y="9" font-size="9" text-anchor="end" fill="#333">${esc(labels.z || 'Gi* z')}</text>`;
  return out + '</svg>';
}

/**
 * The fitted means and the counterfactual (the pre-intervention trend continued) of an interrupted
 * time series (projeval.h's "its": monthly_counts, first_month "YYYY-MM", intervention_month t0,
 * trend / level_change / slope_change estimates on the rate-ratio scale), or null. The answer gives
 * the three coefficients but not the intercept and month terms; with the coefficients at their
 * maximum-likelihood values, the Poisson score equations of the month terms (seasonality
 * "month_dummies"; one intercept for "none") say each calendar month's fitted counts sum to its
 * observed counts, which solves them exactly: a_c = ln(sum_{t in c} y_t / sum_{t in c} exp(l_t)),
 * l_t = ln(days_t) + b1 t + b2 post_t + b3 (t - t0) post_t (the constant population cancels).
 * The quasi-Poisson fit has the same means. Harmonic seasonality: null.
 */
export function itsFit(m) {
  const y = Array.isArray(m && m.monthly_counts) ? m.monthly_counts : [];
  const n = y.length, t0 = Number(m && m.intervention_month);
  const [yy, mm] = String((m && m.first_month) || '').split('-').map(Number);
  const b = (k) => Math.log(Number(m[k] && m[k].estimate));
  const b1 = b('trend'), b2 = b('level_change'), b3 = b('slope_change');
  const season = m && m.seasonality;
  if (!n || !yy || !mm || !Number.isInteger(t0) || ![b1, b2, b3].every(Number.isFinite) || !y.every(Number.isFinite)) return null;
  if (season !== 'month_dummies' && season !== 'none') return null;
  const cal = (t) => (mm - 1 + t) % 12;
  const days = (t) => { const k = yy * 12 + mm - 1 + t; return new Date(Date.UTC(Math.floor(k / 12), (k % 12) + 1, 0)).getUTCDate(); };
  const lin = (t, after) => Math.log(days(t)) + b1 * t + (after && t >= t0 ? b2 + b3 * (t - t0) : 0);
  const key = (t) => (season === 'none' ? 0 : cal(t));
  const sy = new Map(), se = new Map();
  for (let t = 0; t < n; t++) {
    sy.set(key(t), (sy.get(key(t)) || 0) + y[t]);
    se.set(key(t), (se.get(key(t)) || 0) + Math.exp(lin(t, true)));
  }
  const a = (t) => Math.log(sy.get(key(t)) / se.get(key(t)));
  const fitted = y.map((_, t) => Math.exp(a(t) + lin(t, true)));
  const counterfactual = y.map((_, t) => (t >= t0 ? Math.exp(a(t) + lin(t, false)) : null));
  return { fitted, counterfactual };
}

/**
 * An interrupted time series (projeval.h's "its" method): the monthly counts from first_month as
 * grey bars, a dashed vertical line before the intervention month, the fitted means (a line) and
 * the pre-intervention trend continued after it (dashed): the answer's `fitted` and
 * `counterfactual` when it carries them, else itsFit's. Counts withheld from the public (null)
 * are short hatched stubs (and no fit).
 */
export function itsChart(m, { width = 280, height = 140, labels = {} } = {}) {
  const y = Array.isArray(m && m.monthly_counts) ? m.monthly_counts : [];
  const n = y.length;
  if (!n) return '';
  const rec = Array.isArray(m.fitted) ? null : itsFit(m); // the answer's own fit first
  const fit = Array.isArray(m.fitted) && m.fitted.length === n ? m.fitted : rec && rec.fitted;
  const cf = Array.isArray(m.counterfactual) && m.counterfactual.length === n ? m.counterfactual : rec && rec.counterfactual;
  const top = 14, left = 26, right = 6, axis = 14;
  const w = width - left - right, h = height - top - axis;
  const bw = w / n;
  const fin = (a) => (a || []).filter(Number.isFinite);
  const max = Math.max(1, ...fin(y), ...fin(fit), ...fin(cf));
  const f = (v) => v.toFixed(1);
  const xc = (i) => left + i * bw + bw / 2;
  const yv = (v) => top + h - (v / max) * h;
  const month = (i) => {
    const [yy, mm] = String(m.first_month || '').split('-').map(Number);
    if (!yy || !mm) return String(i);
    const k = yy * 12 + mm - 1 + i;
    return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
  };
  let out = `<svg class="chart its-chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(labels.title || 'ITS')}">`;
  y.forEach((c, i) => {
    const x = left + i * bw + (bw > 3 ? 0.5 : 0);
    const bwid = Math.max(0.6, bw - (bw > 3 ? 1 : 0.2));
    if (Number.isFinite(c)) {
      const bh = Math.max(c > 0 ? 1 : 0, (c / max) * h);
      out += `<rect class="its-bar" x="${f(x)}" y="${f(top + h - bh)}" width="${f(bwid)}" height="${f(bh)}" fill="#bdbdbd"><title>${esc(month(i))}: ${c}</title></rect>`;
    } else {
      out += `<rect class="its-bar its-null" x="${f(x)}" y="${f(top + h - 3)}" width="${f(bwid)}" height="3" fill="none" stroke="#999" stroke-dasharray="1 1"/>`;
    }
  });
  const line = (a, cls, style) => {
    if (!a) return '';
    const pts = a.map((v, i) => (Number.isFinite(v) ? `${f(xc(i))},${f(yv(v))}` : null)).filter(Boolean);
    return pts.length > 1 ? `<polyline class="${cls}" points="${pts.join(' ')}" fill="none" ${style}/>` : '';
  };
  out += line(cf, 'its-cf', 'stroke="#6a51a3" stroke-width="1.2" stroke-dasharray="4 3"');
  out += line(fit, 'its-fit', 'stroke="#d7301f" stroke-width="1.5"');
  const im = Number(m.intervention_month);
  if (Number.isInteger(im) && im >= 0 && im <= n) {
    const x = f(left + im * bw);
    out += `<line class="its-start" x1="${x}" x2="${x}" y1="${top - 4}" y2="${top + h}" stroke="#111" stroke-width="1" stroke-dasharray="3 2"/>`;
    out += `<text x="${f(left + im * bw + 2)}" y="${top + h - 3}" font-size="9" fill="#111">${esc(labels.start || 'start')}</text>`;
  }
  out += `<line x1="${left}" x2="${left + w}" y1="${top + h}" y2="${top + h}" stroke="#888" stroke-width="0.5"/>`;
  out += `<text x="${left - 2}" y="${top + 4}" font-size="9" text-anchor="end" fill="#666">${f(max).replace(/\.0$/, '')}</text><text x="${left - 2}" y="${top + h}" font-size="9" text-anchor="end" fill="#666">0</text>`;
  const ticks = [...new Set([0, n - 1])];
  for (const i of ticks) out += `<text x="${f(xc(i))}" y="${height - 2}" font-size="9" text-anchor="${i === 0 ? 'start' : 'end'}" fill="#444">${esc(month(i))}</text>`;
  let lg = `<tspan fill="#888">■</tspan> ${esc(labels.count || 'count')}`;
  if (fit) lg += ` <tspan fill="#d7301f">—</tspan> ${esc(labels.fit || 'fit')}`;
  if (cf) lg += ` <tspan fill="#6a51a3">- -</tspan> ${esc(labels.cf || 'counterfactual')}`;
  out += `<text x="${left + w}" y="9" font-size="9" text-anchor="end" fill="#444">${lg}</text>`;
  return out + '</svg>';
}
