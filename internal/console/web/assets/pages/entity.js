// An entity's pattern of life: where (countries and places), when (hour of week), what
// (operations), what was first seen when, its triage tables, alerts and incidents.
import { api, h, qs, time, sev, state, empty, table, num, title } from '../lib.js';
import { hourOfWeek } from '../charts.js';
import { triageView } from './triage.js';
import { eventHref } from './alert.js';

export async function render(view, ctx) {
  const { type = 'user', name = '' } = ctx.params;
  if (!name) {
    view.append(h('h1', null, 'Entity'), empty('No entity named: open one from an alert or an incident, or search ', h('a', { href: '#/events' }, 'events'), '.'));
    return;
  }
  title(name);
  const p = await api('/api/v1/entity' + qs({ type, name }));
  if (ctx.stale()) return;
  const t = p.triage || {};
  const hist = t.history || {};
  const facet = (...keys) => keys.map((k) => hist[k]).find((v) => v && v.length) || [];
  const countries = facet('countries', 'country');
  const ops = facet('operations', 'operation');
  const addresses = facet('ip_addresses', 'addresses');
  const e = p.entity || { type, name };
  view.append(
    h('h1', null, e.name || name, ' ', h('span', { class: 'muted small' }, e.type || type)),
    h('p', { class: 'actions' },
      h('a', { href: '#/events' + qs({ entity_type: type, entity_name: name }) }, 'All events of this entity'), ' · ',
      h('a', { href: '#/alerts' + qs({ entity_type: type, entity_name: name }) }, 'All alerts')),
    h('div', { class: 'grid cols-3', id: 'pattern' },
      h('div', { class: 'card' }, h('h2', null, 'When: activity by hour of week (your time zone)'),
        (p.hour_of_week || []).some((n) => n) ? hourOfWeek(p.hour_of_week) : empty('No activity stored for this entity.')),
      h('div', { class: 'card' }, h('h2', null, 'Where: countries and addresses (last 7 days)'),
        countries.length ? table([{ label: 'Country', cell: (r) => r.value }, { label: 'Events', num: true, cell: (r) => num(r.count) }], countries.slice(0, 8)) : h('p', { class: 'muted small' }, 'No country: the addresses are not located (configure the GeoIP databases).'),
        addresses.length ? table([{ label: 'Address', cell: (r) => h('a', { href: '#/events' + qs({ entity_type: type, entity_name: name, 'field.src_endpoint.ip': r.value }) }, r.value) }, { label: 'Events', num: true, cell: (r) => num(r.count) }], addresses.slice(0, 8)) : null)),
    h('div', { class: 'grid cols-2' },
      h('div', { class: 'card' }, h('h2', null, 'What: operations (last 7 days)'),
        ops.length ? table([{ label: 'Operation', wrap: true, cell: (r) => h('a', { href: '#/events' + qs({ entity_type: type, entity_name: name, 'field.api.operation': r.value }) }, r.value) }, { label: 'Events', num: true, cell: (r) => num(r.count) }], ops.slice(0, 12)) : empty('No operations recorded in the last 7 days.')),
      h('div', { class: 'card' }, h('h2', null, 'First seen'),
        (p.first_seen || []).length ? table([
          { label: 'When', cell: (r) => time(r.time) }, { label: 'What', cell: (r) => (r.feature || '').replace(/_/g, ' ') }, { label: 'Value', wrap: true, cell: (r) => r.value },
        ], [...p.first_seen].sort((a, b) => String(b.time).localeCompare(String(a.time))).slice(0, 25)) : empty('Nothing first seen yet: the baselines learn from collected history.'))),
    h('div', { class: 'card' }, h('h2', null, 'Triage summary (last 7 days)'), triageView(p.triage)),
    h('div', { class: 'grid cols-2' },
      h('div', { class: 'card' }, h('h2', null, 'Alerts'), (p.alerts || []).length ? table([
        { label: 'Time', cell: (r) => time(r.time) }, { label: 'Severity', cell: (r) => sev(r.severity) },
        { label: 'Alert', wrap: true, cell: (r) => h('a', { href: '#/alerts/' + encodeURIComponent(r.id) }, r.title || r.id) },
        { label: 'Status', cell: (r) => state(r.status) },
      ], p.alerts) : empty('No alerts on this entity.')),
      h('div', { class: 'card' }, h('h2', null, 'Incidents'), (p.incidents || []).length ? table([
        { label: 'Score', num: true, cell: (r) => String(r.score ?? '') },
        { label: 'Incident', wrap: true, cell: (r) => h('a', { href: '#/incidents/' + encodeURIComponent(r.id) }, r.title || r.id) },
        { label: 'Last seen', cell: (r) => time(r.last_seen) },
      ], p.incidents) : empty('No incidents on this entity.'))),
  );
  const tl = h('div', { class: 'card' }, h('h2', null, 'Latest events'), h('p', { class: 'muted' }, 'Loading…'));
  view.append(tl);
  try {
    const page = await api('/api/v1/entity/timeline' + qs({ type, name, limit: 20 }));
    if (ctx.stale()) return;
    const items = page.items || [];
    tl.replaceChildren(h('h2', null, 'Latest events'), items.length ? table([
      { label: 'Time', cell: (r) => time(r.time) },
      { label: 'Operation', wrap: true, cell: (r) => h('a', { href: eventHref(r) }, r.api?.operation || r.activity_name || r.class_name) },
      { label: 'From', cell: (r) => [r.src_endpoint?.ip, r.src_endpoint?.location?.country].filter(Boolean).join(' · ') },
      { label: 'Status', cell: (r) => r.status || '' },
    ], items) : empty('No events stored for this entity.'));
  } catch (err) {
    tl.replaceChildren(h('h2', null, 'Latest events'), h('div', { class: 'error' }, err.message));
  }

}
