// One alert: what fired and why, its evidence, the triage summary, and the analyst's
// acknowledge / close / comment.
import { api, h, qs, time, sev, state, entityLink, kv, empty, table, title } from '../lib.js';
import { actionsBar, commentsView, statusLine } from './actions.js';
import { triageView } from './triage.js';

export async function render(view, ctx) {
  const id = ctx.segs[1];
  const a = await api('/api/v1/alerts/' + encodeURIComponent(id));
  if (ctx.stale()) return;
  draw(view, a);
}

function draw(view, a) {
  title(a.title || 'Alert');
  const base = '/api/v1/alerts/' + encodeURIComponent(a.id);
  const rerender = (updated) => { view.replaceChildren(); draw(view, updated); };
  const rule = a.rule || {};
  view.append(
    h('p', { class: 'small' }, h('a', { href: '#/alerts' }, '← Alerts')),
    h('h1', null, sev(a.severity), ' ', a.title || rule.title || a.id),
    h('div', { class: 'actions' }, 'Status: ', state(a.status), statusLine(a.status)),
    h('div', { class: 'card' }, actionsBar(base, a, rerender)),
    h('div', { class: 'grid cols-2' },
      h('div', { class: 'card' }, h('h2', null, 'What and why'), kv([
        ['Time', time(a.time)],
        ['Entity', entityLink(a.entity)],
        ['Score', a.score !== undefined ? `${a.score} / 100` : null],
        ['Reason', a.reason],
        ['Latest reason', a.latest_reason],
        ['Rule', rule.id ? h('span', null, h('a', { href: '#/alerts' + qs({ rule: rule.id }) }, rule.title || rule.id), ` (${rule.kind || ''}${rule.level ? ', ' + rule.level : ''})`) : null],
        ['ATT&CK', (a.attack || []).map((t) => h('a', { class: 'tag', href: `https://attack.mitre.org/techniques/${t.replace('.', '/')}/`, rel: 'noopener noreferrer', target: '_blank' }, t))],
        ['Occurrences', a.occurrences],
        ['First / last seen', a.first_seen ? h('span', null, time(a.first_seen), ' – ', time(a.last_seen)) : null],
        ['Grouped by', a.group_by ? Object.entries(a.group_by).map(([k, v]) => `${k}=${v}`).join(', ') : null],
        ['Incident', a.incident_id ? h('a', { href: '#/incidents/' + encodeURIComponent(a.incident_id), id: 'incident-link' }, 'open the incident') : null],
      ])),
      h('div', { class: 'card' }, h('h2', null, 'Evidence'), evidence(a))),
    h('div', { class: 'card' }, h('h2', null, 'Triage summary'), triageView(a.triage || (a.details && a.details.triage))),
    commentsView(base, a, rerender),
  );
  const details = { ...(a.details || {}) };
  delete details.triage; // shown above
  if (Object.keys(details).length) {
    view.append(h('div', { class: 'card' }, h('h2', null, 'Details'), h('pre', { class: 'raw' }, JSON.stringify(details, null, 2))));
  }
}

function evidence(a) {
  if (Array.isArray(a.evidence) && a.evidence.length) {
    return table([
      { label: 'Time', cell: (e) => time(e.time) },
      { label: 'Operation', wrap: true, cell: (e) => h('a', { href: eventHref(e) }, e.api?.operation || e.activity_name || e.class_name || 'event') },
      { label: 'From', cell: (e) => [e.src_endpoint?.ip, e.src_endpoint?.location?.country].filter(Boolean).join(' · ') },
    ], a.evidence);
  }
  const uids = a.event_uids || [];
  if (!uids.length) return empty('This alert names no evidence event.');
  // The search is narrowed to the alert's entity and time, so the server finds it quickly.
  const t0 = new Date(a.first_seen || a.time), t1 = new Date(a.last_seen || a.time);
  const around = isNaN(t0) || isNaN(t1) ? {} : { from: new Date(t0.getTime() - 3600e3).toISOString(), to: new Date(t1.getTime() + 3600e3).toISOString() };
  const ent = a.entity || {};
  return h('ul', null, uids.map((u) => h('li', null, h('a', { href: '#/events' + qs({ 'field.metadata.uid': u, entity_type: ent.type, entity_name: ent.name, ...around }) }, u))));
}

export function eventHref(e) {
  const src = e.vigil?.collector || e.vigil?.source || '';
  return '#/events/' + encodeURIComponent(src) + '/' + encodeURIComponent(e.metadata?.uid || '');
}
