// The app shell: sign-in, navigation between screens (hash routes), the
// always-visible sync status, and the return to sign-in when the session ends.
import * as api from './api.js';
import { el, field, formAlert, showError, clearErrors, vnTime, ROLE, viMessage } from './util.js';
import { procedureScreen } from './procedures.js';
import { intakeScreen } from './intake.js';
import { dossierListScreen, dossierDetailScreen } from './dossiers.js';
import { syncScreen, hubSummary } from './sync.js';
import { adminScreen, reportsScreen } from './admin.js';

const ctx = { session: null, signInMessage: '' };
const main = () => document.getElementById('main');

function setTitle(t) { document.title = t + ' — Một cửa'; }

function showSignIn(message) {
  ctx.session = null;
  stopSyncPoll();
  document.getElementById('top').hidden = true;
  document.getElementById('syncbar').hidden = true;
  setTitle('Đăng nhập');
  const m = main();
  m.replaceChildren();
  const user = field('Tên đăng nhập', { autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = field('Mật khẩu', { type: 'password', autocomplete: 'current-password', required: true });
  const alert = formAlert();
  const form = el('form', { class: 'card signin', novalidate: true },
    el('h1', {}, 'Đăng nhập'),
    message ? el('p', { class: 'notice' }, message) : null,
    user.wrap, pass.wrap, alert,
    el('button', { type: 'submit', class: 'primary' }, 'Đăng nhập'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const s = await api.signIn(user.input.value.trim(), pass.input.value);
      startSession(s, user.input.value.trim());
    } catch (err) {
      alert.textContent = viMessage(err);
      pass.input.value = '';
      (err.field === 'username' ? user.input : pass.input).focus();
    }
  });
  m.append(form);
  user.input.focus();
}

function startSession(s, typedName) {
  if (!s.username) s.username = typedName || '';
  ctx.session = s;
  document.getElementById('top').hidden = false;
  document.getElementById('syncbar').hidden = false;
  document.getElementById('nav-admin').hidden = s.role !== 'admin';
  document.getElementById('who').textContent = (s.full_name || s.username) + ' (' + (ROLE[s.role] || s.role) + ')';
  startSyncPoll();
  if (!location.hash || location.hash === '#/' || location.hash === '#') {
    location.hash = s.role === 'admin' ? '#/admin' : s.role === 'officer' ? '#/dossiers' : '#/intake';
  } else {
    route();
  }
}

// --- sync status -----------------------------------------------------------
let pollTimer = 0;
let fastUntil = 0;
function stopSyncPoll() { clearTimeout(pollTimer); pollTimer = 0; }
function startSyncPoll() { stopSyncPoll(); pollSync(); }
// The Đồng bộ page's own button synced and read the status: the bar shows
// it (or reads it, if that read failed) and polls on from now.
document.addEventListener('motcua:synced', (ev) => {
  if (!ctx.session) return;
  if (!ev.detail) { startSyncPoll(); return; }
  renderSync(ev.detail);
  stopSyncPoll();
  pollTimer = setTimeout(pollSync, 10000);
});

// "chậm 1 giờ 5 phút" / "nhanh 3 phút": how far this machine's clock is
// from the hub's (offset = hub time - this clock).
function clockSkewText(offsetMs) {
  const mins = Math.round(Math.abs(offsetMs) / 60000);
  const h = Math.floor(mins / 60), m = mins % 60;
  const days = Math.floor(h / 24);
  let amount;
  if (days >= 2) amount = `${days} ngày`;
  else amount = (h ? `${h} giờ` : '') + (h && m ? ' ' : '') + (m || !h ? `${m} phút` : '');
  return (offsetMs > 0 ? 'chậm ' : 'nhanh ') + amount;
}

export function renderSync(st) {
  const dot = document.getElementById('sync-dot');
  const stateEl = document.getElementById('sync-state');
  const waitEl = document.getElementById('sync-waiting');
  const lastEl = document.getElementById('sync-last');
  const prog = document.getElementById('sync-progress');
  const syncNow = document.getElementById('sync-now');
  syncNow.hidden = !!(st && st.role === 'hub');
  if (st && st.role === 'hub') {
    // A hub syncs with nobody: its points sync with it.
    const h = hubSummary(st);
    stateEl.textContent = 'Máy chủ trung tâm';
    dot.className = 'dot connected';
    waitEl.textContent = `· ${h.points} điểm phục vụ`;
    lastEl.textContent = h.last ? '· Lần cuối một điểm đồng bộ: ' + vnTime(h.last) : '· Chưa điểm nào đồng bộ';
    prog.hidden = true;
    return;
  }
  let state = st && st.state;
  if (!state && st) state = st.connected ? 'connected' : 'disconnected';
  const words = { connected: 'Đang kết nối', disconnected: 'Mất kết nối', syncing: 'Đang đồng bộ' };
  stateEl.textContent = words[state] || 'Mất kết nối';
  dot.className = 'dot ' + (state || 'disconnected');
  if (st && st.revoked) {
    // The hub revoked this point's key: it takes no more dossiers in.
    stateEl.textContent = 'Điểm đã bị thu hồi quyền tại máy chủ trung tâm; không tiếp nhận hồ sơ mới';
    dot.className = 'dot disconnected';
  }
  if (st) {
    const entries = st.entries_waiting ?? (st.waiting_up && st.waiting_up.entries) ?? 0;
    const blobs = st.attachments_waiting ?? st.blobs_waiting ?? 0;
    waitEl.textContent = `· ${entries} mục chờ gửi · ${blobs} tệp chờ gửi`;
    const last = st.last_success_at || st.last_success || '';
    lastEl.textContent = last ? '· Lần cuối thành công: ' + vnTime(last) : '· Chưa đồng bộ lần nào';
  } else {
    waitEl.textContent = '';
    lastEl.textContent = '';
  }
  // A point whose clock is more than 2 minutes off takes the hub's time for
  // received_at, due_at and the day in a new code (docs/sync-protocol.md, Clocks).
  const clockEl = document.getElementById('sync-clock');
  if (clockEl) {
    const off = st && st.clock_corrected ? Number(st.clock_offset_ms || 0) : 0;
    clockEl.hidden = !off;
    clockEl.textContent = off ? '· Đồng hồ máy lệch ' + clockSkewText(off) + ' — đã hiệu chỉnh theo máy chủ' : '';
  }
  if (state === 'syncing') {
    prog.hidden = false;
    const p = st && st.progress;
    if (p && p.total > 0) {
      prog.value = Math.round((100 * p.done) / p.total);
      stateEl.textContent = `Đang đồng bộ (${p.done}/${p.total})`;
    } else {
      prog.removeAttribute('value');
    }
  } else {
    prog.hidden = true;
  }
}

async function pollSync() {
  if (!ctx.session) return;
  try {
    renderSync(await api.get('/sync/status?points=0'));
  } catch (err) {
    if (err.status === 401) return;
    renderSync(null);
  }
  if (!ctx.session) return;
  pollTimer = setTimeout(pollSync, Date.now() < fastUntil ? 1000 : 10000);
}

async function syncNow() {
  const btn = document.getElementById('sync-now');
  btn.disabled = true;
  renderSync({ state: 'syncing' });
  fastUntil = Date.now() + 30000;
  try {
    await api.post('/sync', {});
    document.getElementById('sync-state').textContent = 'Đang kết nối';
  } catch (err) {
    if (err.status !== 401) document.getElementById('sync-last').textContent = '· ' + viMessage(err);
  } finally {
    btn.disabled = false;
    stopSyncPoll();
    pollTimer = setTimeout(pollSync, 300);
  }
}

// --- routing ----------------------------------------------------------------
function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, query] = h.split('?');
  const params = new URLSearchParams(query || '');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params };
}

async function route() {
  if (!ctx.session) return;
  const { parts, params } = parseHash();
  const screen = parts[0] || 'intake';
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.screen === screen) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Each screen draws into its own box. A screen still waiting for the
  // server when the user moves on or signs out then draws into a box no
  // longer on the page, never over the screen that replaced it.
  const m = el('div', { class: 'screen' });
  main().replaceChildren(m);
  const view = { ctx, main: m, params, parts, setTitle, go: (h) => { location.hash = h; } };
  try {
    if (screen === 'procedures') await procedureScreen(view);
    else if (screen === 'intake') await intakeScreen(view);
    else if (screen === 'dossiers' && parts[1]) await dossierDetailScreen(view, parts[1]);
    else if (screen === 'dossiers') await dossierListScreen(view);
    else if (screen === 'sync') await syncScreen(view);
    else if (screen === 'admin') await adminScreen(view);
    else if (screen === 'reports') await reportsScreen(view);
    else m.append(el('h1', {}, 'Không có trang này'));
  } catch (err) {
    if (err.status === 401) return;
    m.append(el('p', { class: 'form-alert', role: 'alert' }, viMessage(err)));
  }
  if (!m.isConnected) return;  // replaced while it loaded
  // Focus moves to the new screen (its first field when it says so), so a
  // keyboard or screen-reader user starts there.
  const first = m.querySelector('[data-autofocus]') || m.querySelector('h1');
  if (first) { if (first.tagName === 'H1') first.setAttribute('tabindex', '-1'); first.focus(); }
  document.dispatchEvent(new CustomEvent('motcua:screen', { detail: screen }));
}

async function boot() {
  api.onUnauthorized(() => {
    if (ctx.session) showSignIn('Phiên làm việc đã hết hạn hoặc đã kết thúc. Vui lòng đăng nhập lại.');
  });
  document.getElementById('signout').addEventListener('click', async () => {
    // Signed out from this moment: an answer still on its way (a 401 for a
    // screen, the sync status) no longer speaks for this session.
    ctx.session = null;
    stopSyncPoll();
    await api.signOut();
    showSignIn('Bạn đã đăng xuất.');
  });
  document.getElementById('sync-now').addEventListener('click', syncNow);
  window.addEventListener('hashchange', route);
  const s = await api.currentSession();
  if (s) startSession(s);
  else showSignIn('');
}

boot();
