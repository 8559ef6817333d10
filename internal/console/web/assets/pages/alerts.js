// The alerts list: server-side filters and cursor paging, every filter in the hash so a
// view can be linked.
import { api, h, qs, time, sev, state, entityLink, empty, table, pager, filterForm, title } from '../lib.js';

const filters = [
  { name: 'severity', label: 'Minimum severity', options: [['', 'any'], ['critical', 'critical'], ['high', 'high'], ['medium', 'medium'], ['low', 'low'], ['informational', 'informational']] },
  { name: 'status', label: 'Status', options: [['', 'any'], ['new', 'new'], ['acknowledged', 'acknowledged'], ['closed', 'closed']] },
  { name: 'kind', label: 'Kind', options: [['', 'any'], ['sigma', 'Sigma rule'], ['builtin', 'built-in'], ['behavior', 'behaviour'], ['correlation', 'correlation']] },
  { name: 'rule', label: 'Rule id', size: 18 },
  { name: 'entity_name', label: 'Entity', placeholder: 'ada@contoso.com', size: 20 },
  { name: 'from', label: 'From', type: 'datetime-local' },
  { name: 'to', label: 'To', type: 'datetime-local' },
];

export async function render(view, ctx) {
  title('Alerts');
  const p = { ...ctx.params };
  view.append(h('h1', null, 'Alerts'), filterForm('#/alerts', p, filters));
  const query = { ...p, limit: p.limit || 50 };
  if (query.entity_name && !query.entity_type) query.entity_type = 'user';
  const page = await api('/api/v1/alerts' + qs(query));
  if (ctx.stale()) return;
  const items = page.items || [];
  if (!items.length) {
    const filtered = Object.keys(p).some((k) => k !== 'cursor' && p[k]);
    view.append(empty(filtered ? 'No alert matches these filters. Widen them (any severity, any status, an earlier From) or ' : 'No alerts yet. They appear as detection finds them; ',
      h('a', { href: filtered ? '#/alerts' : '#/sources' }, filtered ? 'clear the filters' : 'check that the sources collect'), '.'));
    return;
  }
  view.append(table([
    { label: 'Time', cell: (r) => time(r.time) },
    { label: 'Severity', cell: (r) => sev(r.severity) },
    { label: 'Score', num: true, cell: (r) => String(r.score ?? '') },
    { label: 'Alert', wrap: true, cell: (r) => h('a', { href: '#/alerts/' + encodeURIComponent(r.id) }, r.title || r.rule?.title || r.id) },
    { label: 'Entity', cell: (r) => entityLink(r.entity) },
    { label: 'Kind', cell: (r) => r.rule?.kind || '' },
    { label: 'Status', cell: (r) => state(r.status) },
  ], items, { onRow: (r) => { location.hash = '#/alerts/' + encodeURIComponent(r.id); } }));
  view.append(pager('#/alerts', p, page.next, items.length));
}
