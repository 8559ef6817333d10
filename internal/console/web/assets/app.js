// The console's single-page app: who is signed in, the hash router, the page shell.
import { api, session, h, errorBox, empty } from './lib.js';
import * as overview from './pages/overview.js';
import * as alerts from './pages/alerts.js';
import * as alertPage from './pages/alert.js';
import * as incidents from './pages/incidents.js';
import * as incident from './pages/incident.js';
import * as entity from './pages/entity.js';
import * as events from './pages/events.js';
import * as sources from './pages/sources.js';
import * as rules from './pages/rules.js';

// routes: the hash's first segment → [nav item, page for no id, page for an id].
const routes = {
  '': ['overview', overview],
  alerts: ['alerts', alerts, alertPage],
  incidents: ['incidents', incidents, incident],
  entity: ['', entity],
  events: ['events', events, events],
  sources: ['sources', sources],
  rules: ['rules', rules],
};

const main = document.getElementById('main');
let generation = 0;

// parse splits '#/alerts/ID?x=y' into ['alerts', 'ID'] and {x: 'y'}.
function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?', 2);
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { segs, params: Object.fromEntries(new URLSearchParams(query || '')) };
}

async function route() {
  const gen = ++generation;
  const { segs, params } = parse();
  const r = routes[segs[0] || ''];
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (r && a.dataset.nav === r[0]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const page = r && (segs.length > 1 && r[2] ? r[2] : r[1]);
  const view = h('div', { class: 'page' });
  if (!page) {
    view.append(h('h1', null, 'Not found'), empty('There is no page at ' + location.hash + '. ', h('a', { href: '#/' }, 'Go to the overview'), '.'));
  }
  main.replaceChildren(view);
  if (!page) return;
  // A page still loading when the hash changes again draws into a detached node: harmless.
  const ctx = { segs, params, stale: () => gen !== generation };
  try {
    await page.render(view, ctx);
  } catch (err) {
    if (ctx.stale()) return;
    console.error(err);
    view.append(errorBox(err, 'This page could not be shown'));
  }
  if (!ctx.stale() && document.activeElement === document.body) main.focus({ preventScroll: true });
}

async function start() {
  try {
    const me = await api('/api/v1/me');
    Object.assign(session, { user: me.user, role: me.role, csrf: me.csrf_token });
    document.getElementById('who').textContent = `${me.user} · ${me.role}`;
  } catch (err) {
    main.replaceChildren(errorBox(err, 'Could not read who is signed in'));
    return;
  }
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('/api/v1/logout', { method: 'POST' }); } finally { location.assign('/login'); }
  });
  window.addEventListener('hashchange', route);
  route();
}

start();
