// The public REST API with the person's own credentials. The token lives in
// sessionStorage (this tab only, gone when it closes) and travels only in the
// Authorization header, never in a URL.
const KEY = 'workestra.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

// An API refusal: the envelope's stable code and message, and the status.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Calls the API and resolves to the envelope ({data, pagination?}); rejects
// with an ApiError. A 401 signs the tab out (the app listens for it).
export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token.get() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network_error', `The server could not be reached (${e.message}).`);
  }
  const json = await r.json().catch(() => null);
  if (!r.ok) {
    const err = json?.error ?? { code: 'http_' + r.status, message: `The server answered ${r.status}.` };
    if (r.status === 401) window.dispatchEvent(new CustomEvent('workestra:unauthorized'));
    throw new ApiError(r.status, err.code, err.message);
  }
  return json;
}

export const get = (path) => api('GET', path).then((j) => j.data);
export const post = (path, body) => api('POST', path, body).then((j) => j.data);
export const patch = (path, body) => api('PATCH', path, body).then((j) => j.data);
export const del = (path) => api('DELETE', path).then((j) => j?.data);

// A query string from an object, leaving out empty values.
export function qs(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const t = s.toString();
  return t ? `?${t}` : '';
}
