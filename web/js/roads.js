// roads.js - the street layer (the server's /tiles/roads, drawn from the OpenStreetMap roads in its
// store) and road names for popups (the roads collection).
//
// The street layer is the page's offline base map: it needs no external tile service, so it is
// drawn in every view (public portal included) under every overlay, unless the configuration names
// a base map of its own (basemap_url), which already shows the streets. Road geometry is
// OpenStreetMap data, public for every audience: its tiles are plain <img> requests without the
// planner's token, so one cached tile serves everyone. The attribution the ODbL asks for is shown
// while the layer is on the map.
import { getJSON } from './api.js';

const L = window.L;

export const OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';

/** The street tile layer in its own pane below the overlays (z 250; Leaflet's overlays start at 400, ours at 300). */
export function streetLayer(map) {
  const pane = map.createPane('streets');
  pane.style.zIndex = '250';
  pane.style.pointerEvents = 'none';
  return L.tileLayer('/tiles/roads/{z}/{x}/{y}.png', {
    pane: 'streets', attribution: OSM_ATTRIBUTION, maxZoom: 19, className: 'street-tiles', tileSize: 256,
  });
}

// Distance in metres from (lon, lat) to a LineString's coordinates, on a local equirectangular
// projection (exact enough within the tens of metres asked).
function lineDistance(lon, lat, coords) {
  const kx = 111320 * Math.cos((lat * Math.PI) / 180), ky = 110540;
  let best = Infinity;
  for (let i = 0; i + 1 < coords.length; i++) {
    const ax = (coords[i][0] - lon) * kx, ay = (coords[i][1] - lat) * ky;
    const bx = (coords[i + 1][0] - lon) * kx, by = (coords[i + 1][1] - lat) * ky;
    const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    const tt = l2 > 0 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / l2)) : 0;
    best = Math.min(best, Math.hypot(ax + tt * dx, ay + tt * dy));
  }
  return best;
}

/** The nearest named road within maxM metres of a point: {name, class, distance} or null (also when the server has no roads). */
export async function nearestRoad(lon, lat, { maxM = 40, signal } = {}) {
  const dLat = maxM / 110540, dLon = maxM / (111320 * Math.cos((lat * Math.PI) / 180));
  const bbox = [lon - dLon, lat - dLat, lon + dLon, lat + dLat].map((v) => v.toFixed(6)).join(',');
  let fc;
  try {
    fc = await getJSON(`/collections/roads/items?bbox=${bbox}&limit=500`, signal);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    return null;
  }
  let best = null;
  for (const f of fc.features || []) {
    const p = f.properties || {};
    if (!p.name || !f.geometry || f.geometry.type !== 'LineString') continue;
    const d = lineDistance(lon, lat, f.geometry.coordinates);
    if (d <= maxM && (!best || d < best.distance)) best = { name: p.name, class: p.class, distance: d };
  }
  return best;
}
