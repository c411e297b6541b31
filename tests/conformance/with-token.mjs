// Preloaded (node --import) when the suite runs against the production
// build, which rightly refuses requests without credentials: adds
// "Authorization: Bearer $WT_MCP_TOKEN" to every request the suite makes that
// carries none, through undici's global dispatcher, which both the SDK
// client's fetch and the suite's own undici requests go through. The suite
// itself is unchanged; the server sees an ordinary authenticated client.
import { Agent, setGlobalDispatcher } from 'undici';

const token = process.env.WT_MCP_TOKEN;
if (!token) throw new Error('with-token.mjs: set WT_MCP_TOKEN');
const value = `Bearer ${token}`;

function withAuth(headers) {
  if (headers == null) return { authorization: value };
  if (Array.isArray(headers)) {
    const flat = headers.length === 0 || typeof headers[0] === 'string';
    const names = flat ? headers.filter((_, i) => i % 2 === 0) : headers.map((h) => h[0]);
    if (names.some((n) => String(n).toLowerCase() === 'authorization')) return headers;
    return flat ? [...headers, 'authorization', value] : [...headers, ['authorization', value]];
  }
  if (typeof headers[Symbol.iterator] === 'function' && !(headers instanceof Object && headers.constructor === Object)) {
    return withAuth([...headers]);
  }
  if (Object.keys(headers).some((n) => n.toLowerCase() === 'authorization')) return headers;
  return { ...headers, authorization: value };
}

setGlobalDispatcher(
  new Agent().compose((dispatch) => (opts, handler) => dispatch({ ...opts, headers: withAuth(opts.headers) }, handler)),
);
