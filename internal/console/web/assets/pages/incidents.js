// The incidents list: filters and paging on the server.
import { api, h, qs, time, sev, state, entityLink, empty, table, pager, filterForm, title } from '../lib.js';

const filters = [
  { name: 'status', label: 'Status', options: [['', 'any'], ['new', 'new'], ['acknowledged', 'acknowledged'], ['closed', 'closed']] },
  { name: 'min_score', label: 'Minimum score', type: 'number', size: 5 },
  { name: 'entity_name', label: 'Entity', placeholder: 'ada@contoso.com', size: 20 },
  { name: 'from', label: 'From', type: 'datetime-local' },
  { name: 'to', label: 'To', type: 'datetime-local' },
];

export async function render(view, ctx) {
  title('Incidents');
  const p = { ...ctx.params };
  view.append(h('h1', null, 'Incidents'), filterForm('#/incidents', p, filters));
  const query = { ...p, limit: p.limit || 50 };
  if (query.entity_name && !query.entity_type) query.entity_type = 'user';
  const page = await api('/api/v1/incidents' + qs(query));
  if (ctx.stale()) return;
  const items = page.items || [];
  if (!items.length) {
    view.append(empty('No incident matches. Incidents open when alerts on one identity form a chain; single alerts are under ', h('a', { href: '#/alerts' }, 'Alerts'), '.'));
    return;
  }
  view.append(table([
    { label: 'Score', num: true, cell: (r) => String(r.score ?? '') },
    { label: 'Severity', cell: (r) => sev(r.severity) },
    { label: 'Incident', wrap: true, cell: (r) => h('a', { href: '#/incidents/' + encodeURIComponent(r.id) }, r.title || r.id) },
    { label: 'Entities', cell: (r) => (r.entities || []).slice(0, 3).map((e) => h('div', null, entityLink(e))) },
    { label: 'First seen', cell: (r) => time(r.first_seen) },
    { label: 'Last seen', cell: (r) => time(r.last_seen) },
    { label: 'Status', cell: (r) => state(r.status) },
  ], items, { onRow: (r) => { location.hash = '#/incidents/' + encodeURIComponent(r.id); } }));
  view.append(pager('#/incidents', p, page.next, items.length));
}
