// Overview: alerts by severity and status, the newest incidents, the world map of
// activity, ingest rate and lag per source.
import { api, h, qs, time, sev, state, entityLink, empty, errorBox, table, num, title, ago } from '../lib.js';
import { severityBars, hourly, legendSwatch } from '../charts.js';
import { worldMap } from '../map.js';

export function rangeOf(params, hours = 24 * 7) {
  const to = params.to || '';
  const from = params.from || new Date(Date.now() - hours * 3600e3).toISOString();
  return { from, to };
}

export async function render(view, ctx) {
  title('Overview');
  const range = rangeOf(ctx.params);
  const mapBox = h('div', { class: 'card', id: 'map-card' }, h('h2', null, 'Where: sign-in and API activity'), h('p', { class: 'muted' }, 'Loading the map…'));
  view.append(h('h1', null, 'Overview ', h('span', { class: 'muted small' }, 'since ', time(range.from))));
  const ov = await api('/api/v1/overview' + qs(range));
  if (ctx.stale()) return;
  const bySev = ov.alerts_by_severity || {};
  const byStatus = ov.alerts_by_status || {};
  const total = Object.values(bySev).reduce((a, b) => a + b, 0);
  const counts = h('div', { class: 'grid cols-4' },
    [['New alerts', byStatus.new, '#/alerts?status=new'], ['Acknowledged', byStatus.acknowledged, '#/alerts?status=acknowledged'],
      ['Closed', byStatus.closed, '#/alerts?status=closed'], ['Incidents', (ov.incidents || []).length >= 10 ? '10+' : (ov.incidents || []).length, '#/incidents']]
      .map(([label, n, href]) => h('a', { class: 'card', href }, h('div', { class: 'muted' }, label), h('div', { class: 'stat' }, typeof n === 'string' ? n : num(n || 0)))));
  const sevCard = h('div', { class: 'card' }, h('h2', null, `Alerts by severity (${num(total)})`),
    total ? severityBars(bySev, (k) => '#/alerts' + qs({ severity: k })) : empty('No alerts in this range. Detection runs on every event the sources collect; check Sources if you expected some.'));
  const inc = ov.incidents || [];
  const incCard = h('div', { class: 'card' }, h('h2', null, 'Newest incidents'),
    inc.length ? table([
      { label: 'Score', num: true, cell: (r) => String(r.score ?? '') },
      { label: 'Incident', wrap: true, cell: (r) => h('a', { href: '#/incidents/' + encodeURIComponent(r.id) }, r.title || r.id) },
      { label: 'Severity', cell: (r) => sev(r.severity) },
      { label: 'Last seen', cell: (r) => time(r.last_seen) },
    ], inc, { onRow: (r) => { location.hash = '#/incidents/' + encodeURIComponent(r.id); } })
      : empty('No incidents yet: an incident opens when alerts on one identity form a chain.'));
  view.append(counts, h('div', { class: 'grid cols-3' }, mapBox, h('div', { class: 'grid' }, sevCard, incCard)));
  view.append(sourcesCard(ov.sources || [], ov.events_per_hour || []));
  drawMap(mapBox, range, ctx);
}

async function drawMap(box, range, ctx) {
  const detail = h('div', { class: 'small', id: 'map-detail', 'aria-live': 'polite' }, 'Choose a place (click, or Tab then Enter) to see its activity.');
  try {
    const m = await api('/api/v1/map' + qs(range));
    const points = m.points || [];
    if (ctx.stale()) return;
    const anomalous = points.filter((p) => p.anomalous).length;
    const legend = h('div', { class: 'legend' }, legendSwatch('', 'usual activity (area: events)'), legendSwatch('anomalous', `anomalous: evidence of an alert (${anomalous})`));
    const mapEl = await worldMap(points, { onSelect: (p) => detail.replaceChildren(placeDetail(p)) });
    box.replaceChildren(h('h2', null, 'Where: sign-in and API activity'), mapEl, legend, detail);
    if (!points.length) box.append(empty('No located activity in this range: sign-ins and API calls get a place when the GeoIP databases are configured (geoip in vigil.yaml).'));
  } catch (err) {
    box.replaceChildren(h('h2', null, 'Where: sign-in and API activity'), errorBox(err, 'The map could not be drawn'));
  }
}

function placeDetail(p) {
  const place = [p.city, p.country].filter(Boolean).join(', ');
  const alerts = (p.alert_ids || []).slice(0, 8).map((id, i) => h('a', { href: '#/alerts/' + encodeURIComponent(id), class: 'tag' }, `alert ${i + 1}`));
  return h('div', null, h('strong', null, place || 'Unknown place'), ` · ${num(p.events)} events · ${num(p.entities)} identities `,
    p.country ? h('a', { href: '#/events' + qs({ 'field.src_endpoint.location.country': p.country }) }, 'events from here') : null,
    alerts.length ? h('div', null, 'Alerts: ', alerts) : null);
}

function sourcesCard(sources, perHour) {
  const card = h('div', { class: 'card' }, h('h2', null, 'Ingest: rate and lag per source'));
  if (!sources.length) {
    card.append(empty('No source is configured. Add one under sources: in vigil.yaml (see docs/config.md), then restart vigil serve.'));
    return card;
  }
  card.append(h('div', { class: 'grid cols-2' },
    table([
      { label: 'Source', cell: (r) => h('a', { href: '#/sources' }, r.name) },
      { label: 'State', cell: (r) => state(r.state) },
      { label: 'Events/s', num: true, cell: (r) => (r.events_per_second ?? 0).toFixed(1) },
      { label: 'Lag', cell: (r) => r.lag || '—' },
      { label: 'Last poll', cell: (r) => h('span', { title: r.last_poll || '' }, ago(r.last_poll)) },
      { label: 'Errors', num: true, cell: (r) => num(r.errors) },
    ], sources),
    h('div', null, h('div', { class: 'muted small' }, 'Events stored per hour'), perHour.length ? hourly(perHour) : empty('No events stored in this range yet.'))));
  return card;
}

