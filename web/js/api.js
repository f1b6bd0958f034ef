// api.js - fetch wrapper for the hazmap HTTP API (its JSON: API.md at the top of the tree): same origin, Bearer token in planner mode.
//
// The token lives in sessionStorage (gone when the tab closes) and is sent as
// "Authorization: Bearer TOKEN" on every fetch, including planner-mode density tiles (see layers.js).

const KEY = 'hazmap.token';

export function getToken() {
  try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; }
}

export function setToken(t) {
  try { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); } catch { /* private mode */ }
}

export function authHeaders() {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** GET path (with query string) -> parsed JSON. Throws ApiError on HTTP errors; AbortError passes through. */
export async function getJSON(path, signal) {
  const res = await fetch(path, { headers: { Accept: 'application/json, application/geo+json', ...authHeaders() }, signal });
  if (!res.ok) {
    let msg = `${res.status}`;
    try { const j = await res.json(); if (j && j.description) msg += `: ${j.description}`; } catch { /* not JSON */ }
    throw new ApiError(res.status, msg);
  }
  return res.json();
}

/**
 * /api/config, with defaults when the endpoint is missing (then the page is a public portal without basemap,
 * and without the vocabularies its mechanism, severity and sex selectors are empty).
 */
export async function getConfig() {
  try {
    return { ok: true, ...(await getJSON('/api/config')) };
  } catch (e) {
    return { ok: false, title: '', role: 'public', min_count: 10, min_bandwidth: 300, basemap: null, bounds: null,
      data_version: null, data_from: null, data_to: null, vocabularies: {}, groups: [], error: String(e.message || e) };
  }
}
