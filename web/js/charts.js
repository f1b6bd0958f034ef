// charts.js - tiny inline SVG bar charts (hour, weekday, yearly trend, before/after), no library.

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
