// One incident: its story, its chain on a timeline, its entities, the evidence alerts and
// the analyst's actions.
import { api, h, time, sev, state, entityLink, kv, empty, table, title } from '../lib.js';
import { chain } from '../charts.js';
import { actionsBar, commentsView, statusLine } from './actions.js';

export async function render(view, ctx) {
  const inc = await api('/api/v1/incidents/' + encodeURIComponent(ctx.segs[1]));
  if (ctx.stale()) return;
  draw(view, inc);
}

function draw(view, inc) {
  title(inc.title || 'Incident');
  const base = '/api/v1/incidents/' + encodeURIComponent(inc.id);
  const rerender = (updated) => { view.replaceChildren(); draw(view, updated); };
  const steps = [...(inc.chain || [])].sort((a, b) => String(a.time).localeCompare(String(b.time)));
  view.append(
    h('p', { class: 'small' }, h('a', { href: '#/incidents' }, '← Incidents')),
    h('h1', null, sev(inc.severity), ' ', inc.title || inc.id, ' ', h('span', { class: 'muted' }, `score ${inc.score ?? '—'}`)),
    h('div', { class: 'actions' }, 'Status: ', state(inc.status), statusLine(inc.status)),
    h('div', { class: 'card' }, actionsBar(base, inc, rerender)),
    h('div', { class: 'grid cols-3' },
      h('div', { class: 'card' }, h('h2', null, 'Story'), inc.story ? h('p', { id: 'story' }, inc.story) : h('p', { class: 'muted' }, 'No story was written for this incident.')),
      h('div', { class: 'card' }, kv([
        ['First seen', time(inc.first_seen)], ['Last seen', time(inc.last_seen)],
        ['Entities', (inc.entities || []).map((e) => h('div', { class: 'entity' }, entityLink(e)))],
        ['Steps', String(steps.length)],
      ]))),
    h('div', { class: 'card', id: 'chain' }, h('h2', null, 'The chain'),
      steps.length ? [chain(steps), table([
        { label: '#', num: true, cell: (_, i) => '' },
        { label: 'Time', cell: (r) => time(r.time) },
        { label: 'Step', wrap: true, cell: (r) => r.alert_id ? h('a', { href: '#/alerts/' + encodeURIComponent(r.alert_id) }, r.title || r.rule) : (r.title || r.rule) },
        { label: 'Severity', cell: (r) => sev(r.severity) },
        { label: 'Score', num: true, cell: (r) => String(r.score ?? '') },
        { label: 'Entity', cell: (r) => entityLink(r.entity) },
        { label: 'Technique', cell: (r) => r.technique || '' },
      ], steps)] : empty('This incident has no chain steps recorded.')),
    h('div', { class: 'card' }, h('h2', null, 'Evidence: the alerts'), (inc.alerts || []).length ? table([
      { label: 'Time', cell: (r) => time(r.time) },
      { label: 'Alert', wrap: true, cell: (r) => h('a', { href: '#/alerts/' + encodeURIComponent(r.id) }, r.title || r.id) },
      { label: 'Severity', cell: (r) => sev(r.severity) },
      { label: 'Reason', wrap: true, cell: (r) => r.reason || '' },
      { label: 'Events', num: true, cell: (r) => String((r.event_uids || []).length) },
    ], inc.alerts, { onRow: (r) => { location.hash = '#/alerts/' + encodeURIComponent(r.id); } }) : empty('No alerts are attached.')),
    commentsView(base, inc, rerender),
  );
  // Number the chain table's rows as the timeline's dots.
  view.querySelectorAll('#chain tbody tr').forEach((tr, i) => { tr.firstChild.textContent = String(i + 1); });
}
