// export.js - "Export PNG": draws the current map view onto a canvas without any library.
//
// Raster tiles (density; a basemap only when same-origin, else it would taint the canvas) are copied
// from their <img> elements at their on-screen positions; the SVG overlay panes (areas, Gi* cells,
// hulls) are serialised and drawn as images; black-spot markers are redrawn as numbered discs; then
// title, filters, data date and the legend are written underneath.
import { t } from './i18n.js';

function loadImage(src) {
  return new Promise((resolve, reject) => { const i = new Image(); i.onload = () => resolve(i); i.onerror = reject; i.src = src; });
}

export async function exportPng(page, filterText) {
  const map = page.map;
  const box = map.getContainer().getBoundingClientRect();
  const scale = window.devicePixelRatio || 1;
  const foot = 64;
  const cv = document.createElement('canvas');
  cv.width = Math.round(box.width * scale);
  cv.height = Math.round((box.height + foot) * scale);
  const g = cv.getContext('2d');
  g.scale(scale, scale);
  g.fillStyle = getComputedStyle(map.getContainer()).backgroundColor || '#eef0f2';
  g.fillRect(0, 0, box.width, box.height);
  const panes = [...map.getContainer().querySelectorAll('.leaflet-pane')]
    .filter((p) => !p.classList.contains('leaflet-map-pane') && !p.classList.contains('leaflet-marker-pane') && !p.classList.contains('leaflet-shadow-pane') && !p.classList.contains('leaflet-tooltip-pane') && !p.classList.contains('leaflet-popup-pane'))
    .sort((a, b) => (Number(getComputedStyle(a).zIndex) || 0) - (Number(getComputedStyle(b).zIndex) || 0));
  for (const pane of panes) {
    for (const img of pane.querySelectorAll('img.leaflet-tile-loaded')) {
      const u = new URL(img.src, location.href);
      if (u.origin !== location.origin && u.protocol !== 'blob:') continue;
      const r = img.getBoundingClientRect();
      const op = Number(getComputedStyle(img.closest('.leaflet-layer') || img).opacity);
      g.globalAlpha = Number.isFinite(op) ? op : 1;
      try { g.drawImage(img, r.left - box.left, r.top - box.top, r.width, r.height); } catch { /* skip */ }
    }
    g.globalAlpha = 1;
    for (const svg of pane.querySelectorAll(':scope > svg')) {
      const r = svg.getBoundingClientRect();
      const copy = svg.cloneNode(true);
      copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
      copy.setAttribute('width', String(r.width));
      copy.setAttribute('height', String(r.height));
      copy.style.transform = '';
      const blob = new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' });
      const u = URL.createObjectURL(blob);
      try { g.drawImage(await loadImage(u), r.left - box.left, r.top - box.top, r.width, r.height); } catch { /* skip */ }
      URL.revokeObjectURL(u);
    }
  }
  for (const m of map.getContainer().querySelectorAll('.leaflet-marker-icon.bs-icon')) {
    const r = m.getBoundingClientRect();
    const x = r.left - box.left + r.width / 2, y = r.top - box.top + r.height / 2;
    const minor = m.classList.contains('bs-minor');
    g.beginPath(); g.arc(x, y, r.width / 2, 0, 2 * Math.PI); g.fillStyle = minor ? '#555' : '#111'; g.fill(); g.strokeStyle = '#fff'; g.lineWidth = 2; g.stroke();
    g.fillStyle = '#fff'; g.font = `bold ${minor ? 9 : 12}px sans-serif`; g.textAlign = 'center'; g.textBaseline = 'middle';
    g.fillText(m.textContent.trim(), x, y);
  }
  // Footer: title, filters, data date, scale bar text, legend swatches.
  g.fillStyle = '#fff'; g.fillRect(0, box.height, box.width, foot);
  g.fillStyle = '#222'; g.textAlign = 'left'; g.textBaseline = 'top';
  g.font = 'bold 14px sans-serif';
  g.fillText(document.getElementById('print-title').textContent || t('title'), 8, box.height + 6);
  g.font = '12px sans-serif';
  g.fillText(`${t('filters_now')}: ${filterText}`, 8, box.height + 26);
  const scaleEl = map.getContainer().querySelector('.leaflet-control-scale-line');
  g.fillText(`${document.getElementById('print-date').textContent}${scaleEl ? ` · ${scaleEl.textContent} = ${scaleEl.getBoundingClientRect().width.toFixed(0)} px` : ''}`, 8, box.height + 44);
  let x = box.width - 8;
  for (const lg of [...document.querySelectorAll('.legend .lg i')].reverse().slice(0, 12)) {
    const c = getComputedStyle(lg).backgroundColor;
    if (!c || c === 'rgba(0, 0, 0, 0)') continue;
    x -= 16; g.fillStyle = c; g.fillRect(x, box.height + 8, 14, 12);
  }
  const url = cv.toDataURL('image/png');
  const a = document.createElement('a');
  a.href = url;
  a.download = `hazmap-${new Date().toISOString().slice(0, 10)}.png`;
  document.body.append(a);
  a.click();
  a.remove();
  return url;
}
