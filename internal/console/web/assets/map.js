// The world map of sign-in and API activity: Natural Earth countries (world-atlas,
// 1:110m) drawn with d3-geo's Equal Earth projection; one circle per located place, its
// area by events, red where the activity is evidence of an alert.
import { s, h, num } from './lib.js';

let atlas = null;

function loadAtlas() {
  if (!atlas) {
    atlas = fetch('/assets/vendor/countries-110m.json').then((r) => {
      if (!r.ok) throw new Error(`the map data did not load (${r.status})`);
      return r.json();
    });
    atlas.catch(() => { atlas = null; });
  }
  return atlas;
}

// worldMap returns an element with the map; onSelect(point) is called when a place is
// clicked or chosen with Enter.
export async function worldMap(points, { width = 760, height = 390, onSelect } = {}) {
  const world = await loadAtlas();
  const { geoEqualEarth, geoPath } = window.d3;
  const countries = window.topojson.feature(world, world.objects.countries);
  const projection = geoEqualEarth().fitExtent([[4, 4], [width - 4, height - 4]], { type: 'Sphere' });
  const path = geoPath(projection);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, class: 'worldmap', role: 'img', 'aria-label': `World map of activity: ${points.length} places, ${points.filter((p) => p.anomalous).length} anomalous` });
  svg.append(s('path', { d: path({ type: 'Sphere' }), class: 'sphere' }));
  svg.append(s('g', null, countries.features.map((f) => s('path', { d: path(f), class: 'land' }, s('title', null, f.properties.name)))));
  const max = Math.max(1, ...points.map((p) => p.events || 0));
  // Usual activity first, anomalous on top.
  const sorted = [...points].sort((a, b) => (a.anomalous - b.anomalous) || (b.events - a.events));
  const g = s('g');
  for (const p of sorted) {
    if (typeof p.lat !== 'number' || typeof p.lon !== 'number') continue;
    const xy = projection([p.lon, p.lat]);
    if (!xy) continue;
    const r = 2.5 + 11 * Math.sqrt((p.events || 0) / max);
    const place = [p.city, p.country].filter(Boolean).join(', ') || `${p.lat.toFixed(1)}, ${p.lon.toFixed(1)}`;
    const c = s('circle', { cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: (p.anomalous ? Math.max(r, 5) : r).toFixed(1), class: 'point' + (p.anomalous ? ' anomalous' : ''), tabindex: 0, role: 'button',
      'aria-label': `${place}: ${p.events} events, ${p.entities} identities${p.anomalous ? ', anomalous' : ''}` },
    s('title', null, `${place}\n${num(p.events)} events · ${num(p.entities)} identities${p.anomalous ? `\nanomalous: ${(p.alert_ids || []).length} alerts` : ''}`));
    if (onSelect) {
      c.addEventListener('click', () => onSelect(p));
      c.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(p); } });
    }
    g.append(c);
  }
  svg.append(g);
  return h('div', { class: 'map' }, svg);
}
