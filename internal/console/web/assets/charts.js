// Hand-drawn SVG charts: severity bars, an hourly series, the hour-of-week heatmap and an
// incident's chain on a time axis. Colours come from the stylesheet's classes.
import { s, h, SEVERITIES, toDate } from './lib.js';

const dayNames = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// severityBars draws one horizontal bar per severity; each bar links to the alerts list.
export function severityBars(counts, hrefFor) {
  const max = Math.max(1, ...SEVERITIES.map((k) => counts[k] || 0));
  const row = 24, width = 420, labelW = 100, valueW = 60;
  const svg = s('svg', { viewBox: `0 0 ${width} ${row * SEVERITIES.length}`, width, role: 'img', 'aria-label': 'Alerts by severity' });
  SEVERITIES.forEach((k, i) => {
    const n = counts[k] || 0;
    const w = Math.max(n ? 2 : 0, (width - labelW - valueW) * n / max);
    const a = s('a', { href: hrefFor(k) },
      s('text', { x: 0, y: i * row + 16, class: 'label' }, k),
      s('rect', { x: labelW, y: i * row + 4, width: w, height: row - 8, class: 'sev-fill-' + k, rx: 2 }),
      s('text', { x: labelW + w + 6, y: i * row + 16, class: 'label' }, n.toLocaleString()),
      s('title', null, `${n} ${k} alerts: open the list`));
    svg.append(a);
  });
  return svg;
}

// hourly draws counts per hour [{time, count}] as bars under a time axis.
export function hourly(points, { width = 560, height = 140, label = 'Events per hour' } = {}) {
  const pad = { l: 44, r: 8, t: 8, b: 22 };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, role: 'img', 'aria-label': label });
  if (!points.length) return svg;
  const max = Math.max(1, ...points.map((p) => p.count));
  const iw = width - pad.l - pad.r, ih = height - pad.t - pad.b;
  const bw = iw / points.length;
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + ih - ih * f;
    svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'gridline' }),
      s('text', { x: pad.l - 4, y: y + 3, 'text-anchor': 'end', class: 'axis' }, Math.round(max * f).toLocaleString()));
  }
  points.forEach((p, i) => {
    const bh = ih * p.count / max;
    const d = toDate(p.time);
    svg.append(s('rect', { x: pad.l + i * bw + 0.5, y: pad.t + ih - bh, width: Math.max(1, bw - 1), height: bh, class: 'bar' },
      s('title', null, `${d ? d.toLocaleString() : p.time}: ${p.count.toLocaleString()}`)));
  });
  const step = Math.max(1, Math.ceil(points.length / 6));
  for (let i = 0; i < points.length; i += step) {
    const d = toDate(points[i].time);
    if (!d) continue;
    svg.append(s('text', { x: pad.l + i * bw, y: height - 6, class: 'axis' },
      d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' })));
  }
  return svg;
}

// hourOfWeek draws 168 counts (Monday 00:00 UTC first) as a 7×24 grid in the browser's
// time zone.
export function hourOfWeek(counts) {
  const shift = -Math.round(new Date().getTimezoneOffset() / 60); // hours east of UTC
  const local = new Array(168).fill(0);
  (counts || []).forEach((n, i) => { local[((i + shift) % 168 + 168) % 168] += n || 0; });
  const max = Math.max(1, ...local);
  const cell = 20, left = 36, top = 16;
  const svg = s('svg', { viewBox: `0 0 ${left + 24 * cell} ${top + 7 * cell}`, width: left + 24 * cell, role: 'img', 'aria-label': 'Activity by hour of week, your time zone' });
  for (let hr = 0; hr < 24; hr += 3) svg.append(s('text', { x: left + hr * cell + 2, y: 11, class: 'axis' }, String(hr).padStart(2, '0')));
  for (let d = 0; d < 7; d++) {
    svg.append(s('text', { x: 0, y: top + d * cell + 14, class: 'axis' }, dayNames[d]));
    for (let hr = 0; hr < 24; hr++) {
      const n = local[d * 24 + hr];
      svg.append(s('rect', { x: left + hr * cell, y: top + d * cell, width: cell, height: cell, class: 'cell',
        fill: n ? '#1f5fbf' : '#eef1f5', 'fill-opacity': n ? (0.15 + 0.85 * n / max).toFixed(2) : 1 },
      s('title', null, `${dayNames[d]} ${String(hr).padStart(2, '0')}:00–${String(hr).padStart(2, '0')}:59: ${n} events`)));
    }
  }
  return svg;
}

// chain draws an incident's steps on a time axis: one dot per step, coloured by severity,
// numbered as in the table below it; a dot links to its alert.
export function chain(steps, { width = 1100 } = {}) {
  const pad = { l: 30, r: 30 };
  const height = 150, axisY = 70;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, role: 'img', 'aria-label': 'The incident\'s chain on a timeline' });
  const times = steps.map((st) => toDate(st.time)?.getTime() || 0);
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const span = Math.max(1, t1 - t0);
  const x = (t) => pad.l + (width - pad.l - pad.r) * (steps.length === 1 ? 0.5 : (t - t0) / span);
  svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: axisY, y2: axisY, class: 'spine' }));
  svg.append(s('text', { x: pad.l, y: height - 6, class: 'axis' }, new Date(t0).toLocaleString()));
  if (steps.length > 1) svg.append(s('text', { x: width - pad.r, y: height - 6, 'text-anchor': 'end', class: 'axis' }, new Date(t1).toLocaleString()));
  let lastX = -1e9, lane = 0;
  steps.forEach((st, i) => {
    const cx = x(times[i]);
    lane = cx - lastX < 120 ? (lane + 1) % 3 : 0;
    lastX = cx;
    const ly = lane === 0 ? axisY - 30 : lane === 1 ? axisY + 36 : axisY - 48;
    const sevName = String(st.severity || 'informational').toLowerCase();
    const label = `${i + 1}. ${st.title || st.rule || ''}`;
    svg.append(s('a', { href: st.alert_id ? '#/alerts/' + encodeURIComponent(st.alert_id) : null },
      s('line', { x1: cx, x2: cx, y1: axisY, y2: ly + (ly < axisY ? 4 : -12), class: 'gridline' }),
      s('circle', { cx, cy: axisY, r: 8, class: 'step sev-fill-' + sevName }),
      s('text', { x: cx, y: axisY + 4, 'text-anchor': 'middle', class: 'axis', fill: '#fff' }, String(i + 1)),
      s('text', { x: cx, y: ly, 'text-anchor': cx < 140 ? 'start' : cx > width - 140 ? 'end' : 'middle', class: 'label' }, label.length > 34 ? label.slice(0, 33) + '…' : label),
      s('title', null, `${label}\n${toDate(st.time)?.toISOString() || ''} · ${sevName} · score ${st.score ?? ''}${st.technique ? ' · ' + st.technique : ''}`)));
  });
  return svg;
}

export function legendSwatch(cls, text) { return h('span', null, h('span', { class: 'dot ' + cls }), ' ', text); }
