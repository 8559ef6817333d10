// Sources: health, last poll, lag, errors, the endpoints and permissions each needs, and
// the findings of its checks; the outputs' delivery queues below.
import { api, h, time, ago, state, empty, table, kv, num, title, errorBox } from '../lib.js';

export async function render(view, ctx) {
  title('Sources');
  view.append(h('h1', null, 'Sources'));
  const res = await api('/api/v1/sources');
  if (ctx.stale()) return;
  const items = res.items || res.sources || [];
  if (!items.length) {
    view.append(empty('No source is configured. Add one under sources: in vigil.yaml (docs/config.md names the types and keys), run vigil config check, then restart vigil serve.'));
  }
  for (const s of items) {
    const problems = [];
    if (s.silent) problems.push('Silent: no records for longer than expected. Check the provider\'s diagnostic settings and the permissions below.');
    if (s.last_error) problems.push(`Last error (${s.last_error_at ? new Date(s.last_error_at).toLocaleString() : 'time unknown'}): ${s.last_error}`);
    view.append(h('section', { class: 'card source', id: 'source-' + s.name },
      h('h2', null, s.name, ' ', state(s.state)),
      problems.map((p) => h('div', { class: 'error' }, p)),
      h('div', { class: 'grid cols-2' },
        kv([
          ['Last poll', s.last_poll ? h('span', null, time(s.last_poll), ` (${ago(s.last_poll)})`) : 'not yet'],
          ['Last records', time(s.last_records)], ['Lag', s.lag || '—'],
          ['Rate', `${(s.events_per_second || 0).toFixed(1)} events/s`],
          ['Events', `${num(s.events)} (${num(s.new)} new, ${num(s.unparsed)} unparsed, ${num(s.late)} late)`],
          ['Batches', num(s.batches)], ['Errors', num(s.errors)],
          ['Provider latency p50 / p95', s.provider_latency_p50 ? `${s.provider_latency_p50} / ${s.provider_latency_p95}` : null],
          ['Store latency p50 / p95', s.store_latency_p50 ? `${s.store_latency_p50} / ${s.store_latency_p95}` : null],
        ]),
        h('div', null,
          h('h2', null, 'Endpoints it calls'), (s.endpoints || []).length ? h('ul', null, s.endpoints.map((e) => h('li', null, h('code', null, e)))) : h('p', { class: 'muted small' }, 'none listed'),
          h('h2', null, 'Permissions it needs'), (s.permissions || []).length ? h('ul', null, s.permissions.map((e) => h('li', null, h('code', null, e)))) : h('p', { class: 'muted small' }, 'none listed'))),
      findings(s.findings)));
  }
  const out = h('section', { class: 'card' }, h('h2', null, 'Outputs'));
  view.append(out);
  try {
    const o = await api('/api/v1/outputs');
    const outs = o.items || [];
    out.append(outs.length ? table([
      { label: 'Output', cell: (r) => r.name }, { label: 'Type', cell: (r) => r.type },
      { label: 'Queued', num: true, cell: (r) => num(r.depth) }, { label: 'Lag (s)', num: true, cell: (r) => num(r.lag_seconds) },
      { label: 'Dead letters', num: true, cell: (r) => num(r.dead_letters) }, { label: 'Last error', wrap: true, cell: (r) => r.last_error || '' },
    ], outs) : empty('No output is configured: alerts stay in the console. Add a cef or webhook output in vigil.yaml to forward them.'));
  } catch (err) {
    out.append(errorBox(err, 'The outputs could not be read'));
  }
}

function findings(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return h('div', null, h('h2', null, 'Findings'), table([
    { label: 'Severity', cell: (r) => r.severity || r.level || '' },
    { label: 'Finding', wrap: true, cell: (r) => r.title || r.message || r.text || JSON.stringify(r) },
    { label: 'What to do', wrap: true, cell: (r) => r.fix || r.remedy || r.action || '' },
  ], list));
}
