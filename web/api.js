// The public REST API with the person's own credentials. The token lives in
// sessionStorage (this tab only, gone when it closes) and travels only in the
// Authorization header, never in a URL.
const KEY = 'workestra.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

// An API refusal: the envelope's stable code and message, the status, and
// the seconds of a Retry-After (429, 503) when the answer had one.
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const headers = (extra) => ({ authorization: `Bearer ${token.get() ?? ''}`, ...extra });

async function send(path, init) {
  try {
    return await fetch(path, { ...init, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network_error', `The server could not be reached (${e.message}).`);
  }
}

// The ApiError of a refused answer (its JSON envelope already read, or null).
function refused(r, json) {
  const err = json?.error ?? { code: 'http_' + r.status, message: `The server answered ${r.status}.` };
  if (r.status === 401) window.dispatchEvent(new CustomEvent('workestra:unauthorized'));
  const retry = Number.parseInt(r.headers.get('retry-after') ?? '', 10);
  return new ApiError(r.status, err.code, err.message, Number.isFinite(retry) ? retry : undefined);
}

// Calls the API and resolves to the envelope ({data, pagination?}); rejects
// with an ApiError. A 401 signs the tab out (the app listens for it).
export async function api(method, path, body) {
  const r = await send(path, {
    method, headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json().catch(() => null);
  if (!r.ok) throw refused(r, json);
  return json;
}

// POSTs body and reads the answer as Server-Sent Events, calling
// onEvent(name, data) for each as it arrives. fetch and a ReadableStream,
// because EventSource can neither POST nor send the Authorization header.
// Rejects with an ApiError when the request itself is refused (the JSON
// envelope) or the stream breaks off.
export async function stream(path, body, onEvent) {
  const r = await send(path, {
    method: 'POST', body: JSON.stringify(body),
    headers: headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
  });
  if (!r.ok) throw refused(r, await r.json().catch(() => null));
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      throw new ApiError(0, 'network_error', `The answer broke off (${e.message}).`);
    }
    if (chunk.done) return;
    buffer += chunk.value.replace(/\r\n?/g, '\n');
    for (let end; (end = buffer.indexOf('\n\n')) >= 0;) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatch(frame, onEvent);
    }
  }
}

// One event block: `event:` names it, `data:` lines (joined) hold its JSON.
function dispatch(frame, onEvent) {
  let name = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) continue; // a comment
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return;
  let parsed;
  try {
    parsed = JSON.parse(data.join('\n'));
  } catch {
    return; // not this API's JSON: nothing to show
  }
  onEvent(name, parsed);
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
