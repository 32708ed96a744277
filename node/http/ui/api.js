// Talking to /api/v1. A browser signs in with the session cookie (HttpOnly,
// set by POST /sessions) and sends the CSRF token of GET /session on every
// state-changing call. Against a daemon that sets no cookie yet, the bearer
// token of the sign-in answer is kept in memory only (never in storage) and
// sent instead.

const state = { csrf: '', bearer: '', onUnauthorized: null };

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || ('HTTP ' + status));
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || '';
    this.detail = e;
  }
}

export function onUnauthorized(fn) { state.onUnauthorized = fn; }

export function authHeaders(method) {
  const h = {};
  if (state.bearer) h['Authorization'] = 'Bearer ' + state.bearer;
  else if (state.csrf && method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = state.csrf;
  return h;
}

export function usesCookie() { return !state.bearer; }

async function parse(res) {
  const type = res.headers.get('Content-Type') || '';
  if (res.status === 204) return null;
  if (type.includes('application/json')) return res.json();
  return res.text();
}

export async function request(method, path, body, opts = {}) {
  const headers = authHeaders(method);
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, { error: { code: 'network', message: 'Không kết nối được với máy chủ motcua.' } });
  }
  const data = await parse(res).catch(() => null);
  if (res.status === 401 && !opts.quiet401 && state.onUnauthorized) state.onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : null);
  return data;
}

export const get = (p, o) => request('GET', p, undefined, o);
export const post = (p, b, o) => request('POST', p, b === undefined ? {} : b, o);
export const patch = (p, b) => request('PATCH', p, b);
export const del = (p) => request('DELETE', p);

export function qs(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
  }
  return parts.length ? '?' + parts.join('&') : '';
}

// Signs in; returns the session {username, full_name, role, ...}.
export async function signIn(username, password) {
  state.bearer = '';
  state.csrf = '';
  const s = await request('POST', '/sessions', { username, password }, { quiet401: true });
  state.csrf = s.csrf_token || '';
  // Is the cookie there? GET /session answers for it; otherwise keep the bearer token.
  try {
    const cur = await request('GET', '/session', undefined, { quiet401: true });
    state.csrf = cur.csrf_token || state.csrf;
    return Object.assign({}, s, cur);
  } catch (e) {
    state.bearer = s.token;
    return s;
  }
}

// The session of the cookie, if any (after a reload).
export async function currentSession() {
  try {
    const cur = await request('GET', '/session', undefined, { quiet401: true });
    state.csrf = cur.csrf_token || '';
    return cur;
  } catch (e) {
    return null;
  }
}

export async function signOut() {
  try { await request('DELETE', '/sessions', undefined, { quiet401: true }); } catch (e) { /* gone already */ }
  state.bearer = '';
  state.csrf = '';
}

// Uploads one file to POST /blobs with progress (fetch has no upload progress).
export function uploadBlob(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/blobs');
    const h = authHeaders('POST');
    for (const [k, v] of Object.entries(h)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 401 && state.onUnauthorized) state.onUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { error: { code: 'network', message: 'Mất kết nối khi tải tệp lên.' } }));
    xhr.send(file);
  });
}
