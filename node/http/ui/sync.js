// The sync screen: the node's sync status in full and `Đồng bộ ngay`.
import * as api from './api.js';
import { el, vnTime, viMessage } from './util.js';

export async function syncScreen(view) {
  view.setTitle('Đồng bộ');
  const st = await api.get('/sync/status').catch((err) => { if (err.status === 401) throw err; return null; });
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
  const out = el('p', { role: 'status', class: 'notice' });
  const btn = el('button', { type: 'button', class: 'primary' }, 'Đồng bộ với máy chủ tỉnh');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    out.textContent = 'Đang đồng bộ…';
    try {
      const r = await api.post('/sync', {});
      out.textContent = 'Đồng bộ xong: gửi ' + (r.entries_sent ?? r.sent ?? 0) + ', nhận ' + (r.entries_received ?? r.received ?? 0) + ' mục.';
    } catch (err) {
      if (err.status !== 401) out.textContent = viMessage(err);
    } finally {
      btn.disabled = false;
    }
  });
  view.main.append(...[el('h1', {}, 'Đồng bộ'),
    el('dl', { class: 'facts' }, rows.filter(([, v]) => v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))])),
    ['admin', 'clerk'].includes(view.ctx.session.role) ? btn : null, out].filter(Boolean));
}
