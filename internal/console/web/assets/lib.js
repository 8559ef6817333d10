// Shared helpers of the console's pages: DOM building (text only, never HTML strings), the
// API client (session cookie, CSRF header, errors), times, badges, tables, paging.

export const session = { user: '', role: '', csrf: '' };

// h builds an element: h('a', {href: '#/x', class: 'y'}, 'text', child…). Attributes named
// on… become listeners; children that are strings become text nodes; null is skipped.
export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

export function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const SVGNS = 'http://www.w3.org/2000/svg';
// s builds an SVG element, as h does.
export function s(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// api calls the console's API; it sends the CSRF token on every change, sends the analyst
// to the sign-in page when the session has ended, and throws ApiError with the server's
// own words otherwise.
export async function api(path, { method = 'GET', body, contentType } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let payload = body;
  if (body !== undefined && typeof body !== 'string') {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  } else if (contentType) headers['Content-Type'] = contentType;
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'The console did not answer: is vigil still running? Reload the page to try again.');
  }
  if (res.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.hash));
    throw new ApiError(401, 'Your session ended: sign in again.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!res.ok) {
    let msg = data && data.error;
    if (msg && typeof msg === 'object') msg = msg.message;
    if (!msg) msg = `The API answered ${res.status} to ${method} ${path}.`;
    if (res.status === 403 && !(data && data.error)) msg = 'Your role does not allow this; ask an admin.';
    const err = new ApiError(res.status, msg);
    err.data = data;
    throw err;
  }
  return data;
}

// qs builds a query string from an object, leaving out empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, v);
  }
  const str = u.toString();
  return str ? '?' + str : '';
}

// toDate takes an RFC 3339 string or epoch milliseconds.
export function toDate(t) {
  if (t === undefined || t === null || t === '' || t === 0) return null;
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  return isNaN(d) || d.getUTCFullYear() < 1971 ? null : d;
}

const fmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

// time shows a time in the browser's time zone, with UTC on hover.
export function time(t) {
  const d = toDate(t);
  if (!d) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: d.toISOString(), title: d.toISOString().replace('.000Z', 'Z') + ' (UTC)' }, fmt.format(d));
}

export function ago(t) {
  const d = toDate(t);
  if (!d) return '—';
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 0) return 'just now';
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'];

export function sev(v) {
  const name = String(v || 'informational').toLowerCase();
  return h('span', { class: 'sev sev-' + name }, name);
}

export function state(v) {
  const name = (v && typeof v === 'object' ? v.state : v) || 'new';
  return h('span', { class: 'state state-' + name }, name);
}

export function entityLink(e) {
  if (!e || !e.name) return h('span', { class: 'muted' }, '—');
  return h('a', { href: '#/entity' + qs({ type: e.type, name: e.name }) }, e.name, e.type && e.type !== 'user' ? ` (${e.type})` : '');
}

export function empty(text, ...more) { return h('div', { class: 'empty', role: 'status' }, text, ...more); }

export function errorBox(err, what) {
  const msg = err instanceof Error ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' }, what ? `${what}: ` : '', msg);
}

// table renders rows under columns [{label, cell(row), num}]; onRow makes rows clickable
// and reachable with Tab and Enter.
export function table(columns, rows, { onRow, caption, selected } = {}) {
  const head = h('tr', null, columns.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label)));
  const body = rows.map((r) => {
    const tr = h('tr', { class: (onRow ? 'clickable' : '') + (selected && selected(r) ? ' selected' : '') },
      columns.map((c) => h('td', { class: c.num ? 'num' : (c.wrap ? 'wrap' : null) }, c.cell(r))));
    if (onRow) {
      tr.tabIndex = 0;
      tr.addEventListener('click', (ev) => { if (!ev.target.closest('a,button')) onRow(r); });
      tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' && ev.target === tr) onRow(r); });
    }
    return tr;
  });
  return h('table', null, caption ? h('caption', { class: 'muted small' }, caption) : null, h('thead', null, head), h('tbody', null, body));
}

// pager links to the next page (the cursor goes in the hash, so Back returns).
export function pager(route, params, next, shown) {
  const first = params.cursor ? h('a', { href: route + qs({ ...params, cursor: '' }) , class: 'button secondary' }, 'First page') : null;
  const more = next ? h('a', { href: route + qs({ ...params, cursor: next }), class: 'button', id: 'next-page' }, 'Next page') : null;
  return h('div', { class: 'pager' }, first, more, h('span', { class: 'muted small' }, `${shown} shown`, next ? '' : ' · end of the list'));
}

// kv renders a definition list from [label, value] pairs, leaving out empty values.
export function kv(pairs) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    const nodes = Array.isArray(v) && v.some((x) => x instanceof Node);
    dl.append(h('dt', null, k), h('dd', null, nodes ? v : v instanceof Node ? v : Array.isArray(v) ? v.join(', ') : String(v)));
  }
  return dl;
}

// filterForm renders a GET form whose fields become the hash's query on submit.
export function filterForm(route, params, fields) {
  const form = h('form', { class: 'filters', role: 'search' });
  for (const f of fields) {
    let input;
    if (f.options) {
      input = h('select', { name: f.name }, f.options.map(([v, label]) => h('option', { value: v, selected: (params[f.name] || '') === v }, label)));
    } else {
      input = h('input', { name: f.name, value: (f.type === 'datetime-local' ? localInput(params[f.name]) : params[f.name]) || '', placeholder: f.placeholder || '', type: f.type || 'text', size: f.size || 16 });
    }
    form.append(h('label', null, f.label, input));
  }
  form.append(h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = {};
    for (const f of fields) {
      let v = form.elements[f.name].value.trim();
      if (f.type === 'datetime-local' && v) v = new Date(v).toISOString();
      p[f.name] = v;
    }
    location.hash = route + qs(p);
  });
  return form;
}

// localInput turns an RFC 3339 time into a datetime-local input's value.
export function localInput(t) {
  const d = toDate(t);
  if (!d) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function num(n) { return n === undefined || n === null ? '—' : Number(n).toLocaleString(); }

export function title(text) { document.title = `${text} · Vigil`; }
