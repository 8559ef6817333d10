// Acknowledge, close and comment: shared by alerts and incidents. The buttons show what
// the signed-in role allows; the server decides.
import { api, h, session, time, errorBox } from '../lib.js';

export function canTriage() { return session.role === 'analyst' || session.role === 'admin'; }

// actionsBar returns the buttons and forms; base is '/api/v1/alerts/ID' or
// '/api/v1/incidents/ID'; rerender is called with the updated detail.
export function actionsBar(base, detail, rerender) {
  const st = (detail.status && detail.status.state) || detail.status || 'new';
  const msg = h('div', { role: 'status', 'aria-live': 'polite' });
  const bar = h('div', { class: 'actions' });
  if (!canTriage()) {
    bar.append(h('span', { class: 'muted small' }, `Your role (${session.role}) can read but not triage; an analyst or admin can acknowledge, close and comment.`));
    return bar;
  }
  const run = async (btn, path, body) => {
    btn.disabled = true;
    msg.replaceChildren();
    try {
      const updated = await api(base + path, { method: 'POST', body: body || {} });
      rerender(updated);
    } catch (err) {
      msg.replaceChildren(errorBox(err, 'Not done'));
      btn.disabled = false;
    }
  };
  const ack = h('button', { type: 'button', id: 'acknowledge', disabled: st !== 'new' }, 'Acknowledge');
  ack.addEventListener('click', () => run(ack, '/acknowledge'));
  const reason = h('input', { id: 'close-reason', placeholder: 'why: benign, false positive, resolved…', size: 34, 'aria-label': 'Reason for closing' });
  const close = h('button', { type: 'button', class: 'secondary', id: 'close', disabled: st === 'closed' }, 'Close');
  close.addEventListener('click', () => {
    if (!reason.value.trim()) { msg.replaceChildren(errorBox('Say why you close it (the reason is kept with the status).')); reason.focus(); return; }
    run(close, '/close', { reason: reason.value.trim() });
  });
  bar.append(ack, reason, close, msg);
  return bar;
}

export function commentsView(base, detail, rerender) {
  const list = (detail.comments || []);
  const box = h('div', { class: 'card' }, h('h2', null, `Comments (${list.length})`));
  if (list.length) {
    for (const c of list) box.append(h('div', { class: 'comment' }, h('div', { class: 'muted small' }, c.by || 'someone', ' · ', time(c.at)), h('p', null, c.text)));
  } else {
    box.append(h('p', { class: 'muted small' }, 'No comments yet.'));
  }
  if (canTriage()) {
    const text = h('textarea', { id: 'comment-text', 'aria-label': 'New comment', placeholder: 'What you checked, what you found…' });
    const send = h('button', { type: 'submit' }, 'Add comment');
    const msg = h('div', { role: 'status' });
    const form = h('form', null, text, h('div', { class: 'actions' }, send), msg);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) { text.focus(); return; }
      send.disabled = true;
      try {
        rerender(await api(base + '/comments', { method: 'POST', body: { text: text.value.trim() } }));
      } catch (err) {
        msg.replaceChildren(errorBox(err, 'The comment was not saved'));
        send.disabled = false;
      }
    });
    box.append(form);
  }
  return box;
}

export function statusLine(status) {
  if (!status || typeof status !== 'object' || !status.by) return null;
  return h('span', { class: 'muted small' }, ` ${status.state} by ${status.by} `, time(status.at), status.reason ? ` — “${status.reason}”` : '');
}

