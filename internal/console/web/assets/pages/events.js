// Event search: time range, category, entity, source, free text and field filters (all on
// the server), a results table, and one event's normalized and raw record
// (#/events/SOURCE/UID keeps the search's query, so Back returns to the results).
import { api, h, qs, time, empty, table, pager, kv, title, entityLink } from '../lib.js';
import { eventHref } from './alert.js';

// The categories of internal/event/category.go (offered as suggestions; any value is sent).
const categories = ['login','login.failed','login.lockout','login.interrupted','login.noninteractive','login.service','login.service.failed','logout','session.assume','mfa.challenge','mfa.failed','mfa.change','password.change','password.reset','user.create','user.delete','user.update','user.enable','user.disable','user.invite','group.create','group.delete','group.update','group.member_add','group.member_remove','admin.role_assignment','admin.role_removal','admin.role_change','app.create','app.update','app.delete','app.consent','app.credential','sp.create','sp.update','sp.delete','credential.create','credential.delete','credential.update','policy.conditional_access','policy.iam','policy.governance','federation.change','tenant.change','resource.create','resource.update','resource.delete','resource.read','resource.action','network.exposure','network.change','logging.change','security.change','secret.access','key.change','storage.access','storage.policy','identity.risk','alert.provider','platform.health','other','unparsed'];

export async function render(view, ctx) {
  title('Events');
  const p = { ...ctx.params };
  if (ctx.segs.length >= 3) return detail(view, ctx, ctx.segs[1], ctx.segs[2], p);
  view.append(h('h1', null, 'Events'), searchForm(p));
  const hasQuery = Object.keys(p).some((k) => k !== 'cursor' && p[k]);
  const query = { ...p, limit: p.limit || 50 };
  if (query.entity_name && !query.entity_type) query.entity_type = 'user';
  const page = await api('/api/v1/events' + qs(query));
  if (ctx.stale()) return;
  const items = page.items || [];
  if (!items.length) {
    view.append(empty(hasQuery ? 'No event matches. Widen the time range, drop a filter, or check the field name (e.g. field.api.operation=Add member to role.).' : 'No events are stored yet: the sources have not collected anything. See ', h('a', { href: '#/sources' }, 'Sources'), '.'));
    return;
  }
  view.append(table([
    { label: 'Time', cell: (r) => time(r.time) },
    { label: 'Category', cell: (r) => r.vigil?.category || r.category_name || '' },
    { label: 'Entity', cell: (r) => entityLink(r.vigil?.entity) },
    { label: 'Operation', wrap: true, cell: (r) => h('a', { href: eventHref(r) + qs(p) }, r.api?.operation || r.activity_name || r.class_name || 'event') },
    { label: 'From', cell: (r) => [r.src_endpoint?.ip, r.src_endpoint?.location?.country].filter(Boolean).join(' · ') },
    { label: 'Status', cell: (r) => r.status || '' },
    { label: 'Score', num: true, cell: (r) => (r.vigil?.score ? String(r.vigil.score) : '') },
    { label: 'Source', cell: (r) => r.vigil?.collector || r.vigil?.source || '' },
  ], items, { onRow: (r) => { location.hash = eventHref(r) + qs(p); } }));
  view.append(pager('#/events', p, page.next, items.length));
}

function searchForm(p) {
  const form = h('form', { class: 'filters', role: 'search', id: 'event-search' });
  const field = (name, label, input) => { form.append(h('label', null, label, input)); return input; };
  const q = field('q', 'Text', h('input', { name: 'q', value: p.q || '', placeholder: 'free text', size: 22 }));
  const cat = field('category', 'Category', h('input', { name: 'category', value: p.category || '', list: 'event-categories', placeholder: 'any', size: 18 }));
  form.append(h('datalist', { id: 'event-categories' }, categories.map((c) => h('option', { value: c }))));
  const ent = field('entity_name', 'Entity', h('input', { name: 'entity_name', value: p.entity_name || '', placeholder: 'ada@contoso.com', size: 20 }));
  const src = field('source', 'Source', h('input', { name: 'source', value: p.source || '', placeholder: 'entra', size: 10 }));
  const from = field('from', 'From', h('input', { name: 'from', type: 'datetime-local', value: toLocal(p.from) }));
  const to = field('to', 'To', h('input', { name: 'to', type: 'datetime-local', value: toLocal(p.to) }));
  const existing = Object.entries(p).filter(([k]) => k.startsWith('field.')).map(([k, v]) => `${k.slice(6)}=${v}`).join('; ');
  const fields = field('fields', 'Fields (name=value; …)', h('input', { name: 'fields', value: existing, placeholder: 'api.operation=Add member to role.', size: 30 }));
  form.append(h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const out = { q: q.value.trim(), category: cat.value.trim(), entity_name: ent.value.trim(), source: src.value.trim(),
      entity_type: ent.value.trim() ? (p.entity_type || 'user') : '',
      from: from.value ? new Date(from.value).toISOString() : '', to: to.value ? new Date(to.value).toISOString() : '' };
    for (const part of fields.value.split(';')) {
      const [k, ...rest] = part.split('=');
      if (k.trim() && rest.length) out['field.' + k.trim()] = rest.join('=').trim();
    }
    location.hash = '#/events' + qs(out);
  });
  return form;
}

function toLocal(t) {
  if (!t) return '';
  const d = new Date(t);
  if (isNaN(d)) return '';
  const z = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}T${z(d.getHours())}:${z(d.getMinutes())}`;
}

async function detail(view, ctx, source, uid, p) {
  const back = h('p', { class: 'small' }, h('a', { href: '#/events' + qs(p) }, '← Search results'));
  view.append(back);
  const e = await api('/api/v1/events/' + encodeURIComponent(source) + '/' + encodeURIComponent(uid));
  if (ctx.stale()) return;
  title(e.api?.operation || 'Event');
  let raw = e.raw;
  if (typeof raw === 'string') {
    try { raw = JSON.stringify(JSON.parse(raw), null, 2); } catch (err) { /* not JSON: shown as it is */ }
  } else if (raw) raw = JSON.stringify(raw, null, 2);
  const normalized = { ...e };
  delete normalized.raw;
  view.append(
    h('h1', null, e.api?.operation || e.activity_name || e.class_name || 'Event'),
    h('div', { class: 'grid cols-2' },
      h('div', { class: 'card' }, h('h2', null, 'Summary'), kv([
        ['Time', time(e.time)], ['Category', e.vigil?.category], ['Entity', entityLink(e.vigil?.entity)],
        ['Status', [e.status, e.status_detail].filter(Boolean).join(': ')], ['Message', e.message],
        ['Address', [e.src_endpoint?.ip, e.src_endpoint?.location?.city, e.src_endpoint?.location?.country].filter(Boolean).join(' · ')],
        ['Network', e.src_endpoint?.autonomous_system?.name], ['User agent', e.http_request?.user_agent],
        ['Service', e.api?.service?.name], ['Cloud', [e.cloud?.provider, e.cloud?.account?.uid].filter(Boolean).join(' ')],
        ['Unusual', e.vigil?.score ? `${e.vigil.score}: ${e.vigil.score_reason || ''}` : null],
        ['Collected by', e.vigil?.collector], ['Format', e.vigil?.source], ['Event id', e.metadata?.uid],
        ['Repairs', e.vigil?.repairs], ['Parse error', e.vigil?.parse_error],
      ]), h('h2', null, 'Normalized'), h('pre', { class: 'raw', id: 'normalized' }, JSON.stringify(normalized, null, 2))),
      h('div', { class: 'card' }, h('h2', null, 'Raw record, as the provider sent it'),
        raw ? h('pre', { class: 'raw', id: 'raw' }, raw) : (e.vigil?.raw_base64 ? h('pre', { class: 'raw', id: 'raw' }, e.vigil.raw_base64) : h('p', { class: 'muted' }, 'The store kept no raw record for this event.')))));
}
