// Rules: the loaded detection rules, enable / disable (admin), and upload of a Sigma rule
// with the linter's findings when it is refused.
import { api, h, qs, session, empty, table, title, errorBox } from '../lib.js';

export async function render(view, ctx) {
  title('Rules');
  const p = ctx.params;
  const admin = session.role === 'admin';
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', null, 'Search', h('input', { name: 'q', value: p.q || '', placeholder: 'title or id', size: 24 })),
    h('label', null, 'Kind', h('select', { name: 'kind' }, [['', 'any'], ['sigma', 'Sigma'], ['builtin', 'built-in'], ['behavior', 'behaviour'], ['correlation', 'correlation']].map(([v, l]) => h('option', { value: v, selected: (p.kind || '') === v }, l)))),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = '#/rules' + qs({ q: form.q.value.trim(), kind: form.kind.value }); });
  view.append(h('h1', null, 'Rules'), form);
  const res = await api('/api/v1/rules' + qs({ q: p.q, kind: p.kind }));
  if (ctx.stale()) return;
  const items = res.items || [];
  const msg = h('div', { role: 'status', 'aria-live': 'polite' });
  view.append(msg);
  if (!items.length) view.append(empty('No rule matches. Clear the search, or upload a Sigma rule below.'));
  else {
    view.append(table([
      { label: 'Rule', wrap: true, cell: (r) => h('a', { href: '#/alerts' + qs({ rule: r.id }), title: 'alerts of this rule' }, r.title || r.id) },
      { label: 'Kind', cell: (r) => r.kind || '' },
      { label: 'Level', cell: (r) => r.level || '' },
      { label: 'Status', cell: (r) => r.status || '' },
      { label: 'File', wrap: true, cell: (r) => h('code', { class: 'small' }, r.path || '') },
      { label: 'Enabled', cell: (r) => toggle(r, admin, msg) },
    ], items));
  }
  if (admin) view.append(upload(view));
  else view.append(h('p', { class: 'muted small' }, 'An admin can enable, disable and upload rules.'));
}

function toggle(r, admin, msg) {
  const box = h('input', { type: 'checkbox', checked: r.enabled, disabled: !admin, 'aria-label': `${r.enabled ? 'Disable' : 'Enable'} ${r.title || r.id}` });
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      await api(`/api/v1/rules/${encodeURIComponent(r.id)}/${box.checked ? 'enable' : 'disable'}`, { method: 'POST' });
      r.enabled = box.checked;
      msg.replaceChildren(h('p', { class: 'muted' }, `${r.title || r.id} ${r.enabled ? 'enabled' : 'disabled'}.`));
    } catch (err) {
      box.checked = !box.checked;
      msg.replaceChildren(errorBox(err, 'Not changed'));
    }
    box.disabled = false;
  });
  return box;
}

function upload() {
  const text = h('textarea', { id: 'rule-yaml', rows: 10, 'aria-label': 'Sigma rule (YAML)', placeholder: 'title: …\nlogsource: …\ndetection: …' });
  const file = h('input', { type: 'file', accept: '.yml,.yaml', 'aria-label': 'Sigma rule file' });
  file.addEventListener('change', async () => { if (file.files[0]) text.value = await file.files[0].text(); });
  const out = h('div', { role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'card' }, h('h2', null, 'Upload a Sigma rule'), file, text, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Lint and add')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      const r = await api('/api/v1/rules', { method: 'POST', body: text.value, contentType: 'application/yaml' });
      out.append(h('p', null, `Added ${r.title || r.id}. `, h('a', { href: '#/rules' + qs({ q: r.id }) }, 'See it in the list'), '.'));
    } catch (err) {
      out.append(errorBox(err, 'Refused'));
      const lint = err.data && err.data.lint;
      if (Array.isArray(lint) && lint.length) out.append(h('ul', null, lint.map((l) => h('li', null, typeof l === 'string' ? l : (l.message || JSON.stringify(l))))));
    }
  });
  return form;
}
