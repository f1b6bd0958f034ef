// gcj02.js - WGS84 <-> GCJ-02 ("Mars coordinates") transform, so overlays line up with Amap/Tencent basemaps.
//
// GCJ-02 is WGS84 plus a deliberate, smoothly varying offset (about 300-600 m in Chengdu). The forward
// formula is the widely published reconstruction (e.g. the public-domain "eviltransform" and
// coordtransform projects): the offset is computed from two trigonometric series in the coordinates
// relative to (105 E, 35 N) and converted from metres to degrees on the Krasovsky 1940 ellipsoid
// (a = 6378245 m, e^2 = 0.00669342162296594323). It matches Amap/Tencent to well under a metre.
// Outside China (coarse box below) no offset is applied, as those services do.
// The inverse has no closed form; gcjToWgs iterates the forward transform (fixed point), which
// converges to below 1e-9 degrees in a few steps because the offset changes slowly with position.

const A = 6378245.0;
const EE = 0.00669342162296594323;

export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function tLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  return r;
}

function tLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  return r;
}

/** [lon, lat] WGS84 -> [lon, lat] GCJ-02. */
export function wgsToGcj(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = tLat(lon - 105.0, lat - 35.0);
  let dLon = tLon(lon - 105.0, lat - 35.0);
  const radLat = lat / 180.0 * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
  dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** [lon, lat] GCJ-02 -> [lon, lat] WGS84 by fixed-point iteration of wgsToGcj. */
export function gcjToWgs(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let x = lon, y = lat;
  for (let i = 0; i < 10; i++) {
    const g = wgsToGcj(x, y);
    const ex = g[0] - lon, ey = g[1] - lat;
    x -= ex; y -= ey;
    if (Math.abs(ex) < 1e-10 && Math.abs(ey) < 1e-10) break;
  }
  return [x, y];
}

function mapCoords(c, f) {
  if (typeof c[0] === 'number') { const r = f(c[0], c[1]); return c.length > 2 ? [r[0], r[1], ...c.slice(2)] : r; }
  return c.map((x) => mapCoords(x, f));
}

/** Returns a copy of a GeoJSON geometry with every position passed through f(lon, lat). */
export function mapGeometry(g, f) {
  if (!g) return g;
  if (g.type === 'GeometryCollection') return { ...g, geometries: g.geometries.map((x) => mapGeometry(x, f)) };
  return { ...g, coordinates: mapCoords(g.coordinates, f) };
}

/** Copy of a FeatureCollection (or Feature) with geometries shifted WGS84 -> GCJ-02. */
export function featuresToGcj(fc) {
  if (fc.type === 'Feature') return { ...fc, geometry: mapGeometry(fc.geometry, wgsToGcj) };
  return { ...fc, features: fc.features.map((f) => ({ ...f, geometry: mapGeometry(f.geometry, wgsToGcj) })) };
}
