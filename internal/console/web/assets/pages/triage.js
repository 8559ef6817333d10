// The triage summary tables, shared by the alert and the entity pages.
import { h, time, table, empty, kv, num } from '../lib.js';

export function triageView(t) {
  if (!t || typeof t !== 'object') return empty('No triage summary: it is made from the identity\'s stored history, and there is none in the store yet.');
  const box = h('div', { class: 'grid' });
  box.append(kv([
    ['History', t.from || t.to ? h('span', null, time(t.from), ' – ', time(t.to)) : null],
    ['Events in history', t.events !== undefined ? num(t.events) : null],
    ['Began with an unusual sign-in', t.unusual_sign_in === undefined ? null : (t.unusual_sign_in ? 'yes' : 'no')],
  ]));
  const news = t.new || {};
  const hist = t.history || {};
  const facets = [...new Set([...Object.keys(hist), ...Object.keys(news)])];
  if (facets.length) {
    const grid = h('div', { class: 'grid cols-4' });
    for (const f of facets) {
      const rows = (hist[f] || []).slice(0, 8);
      const fresh = news[f] || [];
      grid.append(h('div', { class: 'card' }, h('h2', null, f.replace(/_/g, ' ')),
        fresh.length ? h('div', null, 'New: ', fresh.map((v) => h('span', { class: 'tag new', title: 'not seen in the history window' }, v))) : null,
        rows.length ? table([{ label: 'Value', wrap: true, cell: (r) => r.value }, { label: 'Count', num: true, cell: (r) => num(r.count) }], rows) : h('p', { class: 'muted small' }, 'nothing in the history')));
    }
    box.append(grid);
  }
  if ((t.sign_ins || []).length) {
    box.append(h('h2', null, 'Sign-ins before the evidence'), table([
      { label: 'Time', cell: (r) => time(r.time) }, { label: 'Address', cell: (r) => r.ip || '' },
      { label: 'Country', cell: (r) => r.country || '' }, { label: 'Network', cell: (r) => r.asn || '' },
      { label: 'Unusual', cell: (r) => (r.unusual ? h('strong', null, 'yes') : 'no') }, { label: 'Why', wrap: true, cell: (r) => (r.why || []).join('; ') },
    ], t.sign_ins));
  }
  if ((t.done_before || []).length) {
    box.append(h('h2', null, 'Done before?'), table([
      { label: 'Operation', wrap: true, cell: (r) => r.operation }, { label: 'Resource', wrap: true, cell: (r) => r.resource || '' },
      { label: 'Times before', num: true, cell: (r) => num(r.count) }, { label: 'Last', cell: (r) => time(r.last) },
    ], t.done_before));
  }
  if ((t.memberships || []).length) {
    box.append(h('h2', null, 'Groups and roles'), table([
      { label: 'Kind', cell: (r) => r.kind }, { label: 'Name', wrap: true, cell: (r) => r.name },
      { label: 'Since', cell: (r) => time(r.since) }, { label: 'By', cell: (r) => r.by || '' },
    ], t.memberships));
  }
  return box;
}
