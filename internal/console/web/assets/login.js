// The sign-in form: POST /api/v1/login, then back to the page the analyst asked for.
const form = document.getElementById('login');
const errorBox = document.getElementById('login-error');

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  errorBox.hidden = true;
  const body = JSON.stringify({ username: form.username.value, password: form.password.value });
  let res;
  try {
    res = await fetch('/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, credentials: 'same-origin' });
  } catch (e) {
    showError('The console did not answer. Is vigil still running? Try again in a moment.');
    return;
  }
  if (res.ok) {
    // The app's page asked for: ?next= from the app, or the hash a redirect kept.
    const next = new URLSearchParams(location.search).get('next') || location.hash;
    location.assign('/' + (next.startsWith('#/') ? next : ''));
    return;
  }
  let msg = '';
  try { msg = (await res.json()).error; } catch (e) { /* not JSON */ }
  if (typeof msg === 'object' && msg) msg = msg.message;
  if (res.status === 401) showError(msg || 'Wrong user name or password.');
  else if (res.status === 429) showError(msg || 'Too many attempts: wait a minute, then try again.');
  else showError(msg || `Sign-in failed (${res.status}). See the daemon's log.`);
  form.password.select();
});
