// The sync screen: the node's sync status in full and `Đồng bộ ngay`.
import * as api from './api.js';
import { el, vnTime, viMessage } from './util.js';

// A hub syncs with nobody: its points sync with it. What it shows instead
// (the hub's status carries a summary of its points; the list is the admin's).
export function hubSummary(st) {
  const s = st.points_summary || {};
  return { points: Number(s.active || 0), pending: Number(s.pending || 0), last: s.last_success || null, behind: Number(s.behind || 0) };
}

export async function syncScreen(view) {
  view.setTitle('Đồng bộ');
  const st = await api.get('/sync/status?points=0').catch((err) => { if (err.status === 401) throw err; return null; });
  if (st && st.role === 'hub') {
    const h = hubSummary(st);
    view.main.append(...[el('h1', {}, 'Đồng bộ'),
      el('p', {}, 'Đây là máy chủ trung tâm: các điểm phục vụ đồng bộ với máy này, máy này không tự đồng bộ.'),
      el('dl', { class: 'facts' }, [
        ['Điểm phục vụ đang hoạt động', String(h.points)],
        ...(h.pending ? [['Điểm đã có mã ghi danh, chưa ghi danh', String(h.pending)]] : []),
        ['Điểm còn mục chưa nhận', String(h.behind)],
        ['Lần cuối một điểm đồng bộ xong', h.last ? vnTime(h.last) : 'chưa có'],
      ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      view.ctx.session.role === 'admin' ? el('p', {}, el('a', { href: '#/admin/points' }, 'Xem từng điểm phục vụ')) : null].filter(Boolean));
    return;
  }
  const out = el('p', { role: 'status', class: 'notice' });
  let facts = pointFacts(st);
  const btn = el('button', { type: 'button', class: 'primary' }, 'Đồng bộ với máy chủ tỉnh');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    out.textContent = 'Đang đồng bộ…';
    try {
      const r = await api.post('/sync', {});
      out.textContent = 'Đồng bộ xong: gửi ' + (r.entries_up ?? 0) + ', nhận ' + (r.entries_down ?? 0) + ' mục.';
      // What waits now, read once, on this page and in the status bar (app.js listens).
      const now = await api.get('/sync/status?points=0').catch(() => null);
      if (now) { const next = pointFacts(now); facts.replaceWith(next); facts = next; }
      document.dispatchEvent(new CustomEvent('motcua:synced', { detail: now }));
    } catch (err) {
      if (err.status !== 401) out.textContent = viMessage(err);
    } finally {
      btn.disabled = false;
    }
  });
  view.main.append(...[el('h1', {}, 'Đồng bộ'), facts,
    ['admin', 'clerk'].includes(view.ctx.session.role) ? btn : null, out].filter(Boolean));
}

// A point's sync status as a list of facts.
function pointFacts(st) {
  const words = { connected: 'Đang kết nối', disconnected: 'Mất kết nối', syncing: 'Đang đồng bộ' };
  const state = st ? (st.state || (st.connected ? 'connected' : 'disconnected')) : 'disconnected';
  const rows = st ? [
    ['Tình trạng', words[state] || state],
    ['Mục chờ gửi', st.entries_waiting ?? (st.waiting_up && st.waiting_up.entries) ?? 0],
    ['Mục chờ nhận', (st.waiting_down && st.waiting_down.entries) ?? ''],
    ['Tệp chờ gửi', st.attachments_waiting ?? st.blobs_waiting ?? 0],
    ['Lần cuối thành công', (st.last_success_at || st.last_success) ? vnTime(st.last_success_at || st.last_success) : 'chưa có'],
    ['Đồng bộ tự động', st.background ? 'đang chạy' : 'không chạy'],
    ['Lỗi liên tiếp', st.failures_in_a_row ?? 0],
    ['Lỗi gần nhất', st.last_failure ? `${vnTime(st.last_failure.at)} — ${st.last_failure.message || st.last_failure.code}` : 'không có'],
    ['Lần thử tới', st.next_attempt ? vnTime(st.next_attempt) : ''],
  ] : [['Tình trạng', 'Không đọc được trạng thái đồng bộ']];
  return el('dl', { class: 'facts' }, rows.filter(([, v]) => v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]));
}
