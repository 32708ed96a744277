// The admin screens: users, holidays, the procedure catalogue, the points of
// a hub (lag, skew, alerts, enrolment codes, revoke), the entries the hub
// holds in quarantine (release or reject with a reason), the sync audit log,
// conflicts, and the period reports (Mẫu 06, Biểu 06).
import * as api from './api.js';
import { el, field, select, formAlert, showError, clearErrors, vnTime, vnDate, vnToday, isoDate, ROLE, CONFLICT_KIND, newId, printLink, viMessage, REPORTS_LINK } from './util.js';

const TABS = [
  ['users', 'Người dùng'], ['holidays', 'Ngày nghỉ lễ'], ['catalogue', 'Danh mục thủ tục'], ['points', 'Điểm phục vụ'],
  ['quarantine', 'Cách ly'], ['sync-log', 'Nhật ký đồng bộ'], ['conflicts', 'Xung đột'], ['reports', 'Báo cáo'],
];

export async function adminScreen(view) {
  if (view.ctx.session.role !== 'admin') {
    // A link or a typed address can lead here; the tabs would only answer 403.
    view.setTitle('Quản trị');
    view.main.append(el('h1', {}, 'Quản trị'),
      el('p', { class: 'notice' }, 'Trang quản trị chỉ dành cho quản trị viên.'),
      el('p', {}, el('a', { href: '#/reports' }, REPORTS_LINK)));
    return;
  }
  const tab = view.parts[1] || 'users';
  const name = (TABS.find(([k]) => k === tab) || [tab, tab])[1];
  view.setTitle('Quản trị: ' + name);
  const sub = el('nav', { 'aria-label': 'Quản trị', class: 'subnav' }, el('ul', {}, TABS.map(([k, v]) =>
    el('li', {}, el('a', { href: '#/admin/' + k, 'aria-current': k === tab ? 'page' : null }, v)))));
  view.main.append(el('h1', {}, 'Quản trị — ' + name), sub);
  const box = el('div', { class: 'admin' });
  view.main.append(box);
  const screens = { users, holidays, catalogue, points, quarantine, 'sync-log': syncLog, conflicts, reports };
  if (screens[tab]) await screens[tab](box, view);
}

// The period reports for every role: the receiving desk keeps the tracking
// book (Mẫu 06); an admin also finds them under Quản trị — Báo cáo.
export async function reportsScreen(view) {
  view.setTitle('Báo cáo');
  view.main.append(el('h1', {}, 'Sổ theo dõi hồ sơ và báo cáo'));
  const box = el('div', { class: 'admin' });
  view.main.append(box);
  await reports(box);
}

function notice() { return el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' }); }

// A table from a list of objects (generic: columns are the keys).
function table(items, columns, caption) {
  const cols = columns || Array.from(new Set(items.flatMap((x) => Object.keys(x)))).slice(0, 9).map((k) => [k, k]);
  const fmt = (k, v) => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return vnTime(v);
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  return el('div', { class: 'table-wrap' }, el('table', { class: 'list' },
    caption ? el('caption', {}, caption) : null,
    el('thead', {}, el('tr', {}, cols.map(([, h]) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, items.map((it) => el('tr', {}, cols.map(([k]) => {
      const v = typeof k === 'function' ? k(it) : it[k];
      return el('td', {}, v instanceof Node ? v : fmt(k, v));
    }))))));
}

async function readFile(input) {
  const f = input.files && input.files[0];
  if (!f) return null;
  const text = await f.text();
  try { return JSON.parse(text); } catch (e) { throw new api.ApiError(400, { error: { code: 'invalid_json', message: 'Tệp không phải JSON hợp lệ: ' + e.message, field: 'file' } }); }
}

// --- users --------------------------------------------------------------------
async function users(box) {
  const out = notice();
  const list = el('div');
  async function load() {
    const r = await api.get('/users');
    const items = Array.isArray(r) ? r : (r.items || []);
    list.replaceChildren(table(items, [
      ['username', 'Tên đăng nhập'], ['full_name', 'Họ và tên'], [(u) => ROLE[u.role] || u.role, 'Vai trò'],
      [(u) => (u.disabled ? 'Đã vô hiệu hóa' : u.throttled ? 'Đang bị chặn đăng nhập' : 'Hoạt động'), 'Tình trạng'],
      [(u) => rowActions(u), 'Thao tác'],
    ], 'Người dùng của điểm này'));
  }
  function act(label, u, fn) {
    const b = el('button', { type: 'button', class: 'small' }, label, el('span', { class: 'sr-only' }, ' ' + u.username));
    b.addEventListener('click', async () => {
      try { await fn(); await load(); out.textContent = label + ': ' + u.username + ' — xong.'; } catch (err) { if (err.status !== 401) out.textContent = viMessage(err); }
    });
    return b;
  }
  function rowActions(u) {
    const n = encodeURIComponent(u.username);
    const reset = el('button', { type: 'button', class: 'small' }, 'Đặt lại mật khẩu', el('span', { class: 'sr-only' }, ' ' + u.username));
    reset.addEventListener('click', () => {
      const pw = field('Mật khẩu mới cho ' + u.username, { type: 'password', autocomplete: 'new-password' });
      const f = el('form', { class: 'inline-form' }, pw.wrap, el('button', { type: 'submit' }, 'Lưu mật khẩu'));
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try { await api.post(`/users/${n}/password`, { password: pw.input.value }); f.remove(); out.textContent = 'Đã đặt lại mật khẩu của ' + u.username + '.'; } catch (err) { if (err.status !== 401) showError(f, err, { password: pw.input }); }
      });
      reset.after(f);
      pw.input.focus();
    });
    return el('div', { class: 'row-actions' }, reset,
      u.disabled ? act('Kích hoạt lại', u, () => api.post(`/users/${n}/enable`, {}))
        : act('Vô hiệu hóa', u, () => api.post(`/users/${n}/disable`, {})),
      act('Mở khóa đăng nhập', u, () => api.post(`/users/${n}/unlock`, {})));
  }
  const uname = field('Tên đăng nhập', { autocomplete: 'off', required: true, autocapitalize: 'none' });
  const fname = field('Họ và tên', { autocomplete: 'off', required: true });
  const role = select('Vai trò', Object.entries(ROLE));
  const pw = field('Mật khẩu ban đầu', { type: 'password', autocomplete: 'new-password', required: true });
  const alert = formAlert();
  const add = el('form', { class: 'card', novalidate: true, 'aria-label': 'Thêm người dùng' },
    el('h2', {}, 'Thêm người dùng'), el('div', { class: 'grid' }, uname.wrap, fname.wrap, role.wrap, pw.wrap), alert,
    el('button', { type: 'submit', class: 'primary' }, 'Thêm người dùng'));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(add);
    try {
      await api.post('/users', { username: uname.input.value.trim(), full_name: fname.input.value.trim(), role: role.input.value, password: pw.input.value });
      out.textContent = 'Đã thêm người dùng ' + uname.input.value.trim() + '.';
      add.reset();
      await load();
    } catch (err) {
      if (err.status !== 401) showError(add, err, { username: uname.input, full_name: fname.input, role: role.input, password: pw.input });
    }
  });
  box.append(out, list, add);
  await load();
}

// --- holidays -----------------------------------------------------------------
function parseDays(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l);
    return m ? { date: isoDate(m[1]), name: m[2].trim() } : { date: isoDate(l), name: '' };
  });
}

async function holidays(box) {
  const out = notice();
  const year = field('Năm', { inputmode: 'numeric', value: String(vnToday().year), maxlength: 4 });
  const show = el('div');
  const viewForm = el('form', { class: 'row' }, year.wrap, el('button', { type: 'submit' }, 'Xem lịch nghỉ'));
  async function load() {
    try {
      const r = await api.get('/holidays' + api.qs({ year: year.input.value.trim() }));
      show.replaceChildren(
        table((r.holidays || []).map((h) => ({ date: vnDate(h.date), name: h.name })), [['date', 'Ngày'], ['name', 'Ngày nghỉ']], `Ngày nghỉ lễ năm ${r.year}`),
        table((r.makeup_days || []).map((h) => ({ date: vnDate(h.date), name: h.name })), [['date', 'Ngày'], ['name', 'Ngày làm bù']], `Ngày làm bù năm ${r.year}`));
    } catch (err) {
      if (err.status !== 401) show.replaceChildren(el('p', {}, viMessage(err)));
    }
  }
  viewForm.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });

  const ny = field('Năm mới', { inputmode: 'numeric', maxlength: 4, required: true });
  const hd = field('Ngày nghỉ', { tag: 'textarea', rows: 5 }, 'Mỗi dòng: dd/mm/yyyy tên ngày nghỉ');
  const mk = field('Ngày làm bù', { tag: 'textarea', rows: 2 }, 'Mỗi dòng: dd/mm/yyyy ghi chú');
  const addAlert = formAlert();
  const addForm = el('form', { class: 'card', novalidate: true, 'aria-label': 'Thêm một năm' }, el('h2', {}, 'Thêm một năm'),
    ny.wrap, hd.wrap, mk.wrap, addAlert, el('button', { type: 'submit' }, 'Thêm năm'));
  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(addForm);
    try {
      await api.post('/holidays', { year: Number(ny.input.value), holidays: parseDays(hd.input.value), makeup_days: parseDays(mk.input.value) });
      out.textContent = 'Đã thêm lịch nghỉ năm ' + ny.input.value + '.';
      year.input.value = ny.input.value;
      await load();
    } catch (err) {
      if (err.status !== 401) showError(addForm, err, { year: ny.input, holidays: hd.input, makeup_days: mk.input });
    }
  });

  const file = field('Tệp lịch nghỉ (JSON)', { type: 'file', accept: 'application/json,.json' }, 'Cùng dạng với data/holidays-vn.json.');
  const impAlert = formAlert();
  const imp = el('form', { class: 'card', novalidate: true, 'aria-label': 'Nhập từ tệp' }, el('h2', {}, 'Nhập từ tệp'),
    file.wrap, impAlert, el('button', { type: 'submit' }, 'Nhập tệp lịch nghỉ'));
  imp.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(imp);
    try {
      const data = await readFile(file.input);
      if (!data) { impAlert.textContent = 'Hãy chọn một tệp.'; return; }
      const r = await api.post('/holidays/import', data);
      const yrs = r.imported_years || [];
      out.textContent = 'Đã nhập lịch nghỉ các năm: ' + yrs.join(', ') + '.';
      if (yrs.length) { year.input.value = String(yrs[yrs.length - 1]); await load(); }
    } catch (err) {
      if (err.status !== 401) showError(imp, err, { file: file.input, holidays: file.input });
    }
  });
  box.append(out, viewForm, show, addForm, imp);
  await load();
}

// --- catalogue ------------------------------------------------------------------
async function catalogue(box) {
  const out = notice();
  const errors = el('div');
  const file = field('Tệp danh mục thủ tục (JSON)', { type: 'file', accept: 'application/json,.json' }, 'Cùng dạng với data/procedures.json.');
  const alert = formAlert();
  const form = el('form', { class: 'card', novalidate: true, 'aria-label': 'Nhập danh mục thủ tục' },
    el('h2', {}, 'Nhập danh mục thủ tục'), file.wrap, alert, el('button', { type: 'submit' }, 'Nhập danh mục'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    errors.replaceChildren();
    try {
      const data = await readFile(file.input);
      if (!data) { alert.textContent = 'Hãy chọn một tệp.'; return; }
      const r = await api.post('/procedures/import', data);
      out.textContent = `Đã nhập ${r.imported || 0} thủ tục; ${(r.errors || []).length} mục bị từ chối.`;
      if ((r.errors || []).length) {
        errors.replaceChildren(table(r.errors.map((e) => ({ index: e.index + 1, code: e.code || '', field: e.field || '', message: e.message })),
          [['index', 'Mục số'], ['code', 'Mã thủ tục'], ['field', 'Trường'], ['message', 'Lỗi']], 'Các mục bị từ chối'));
      }
    } catch (err) {
      if (err.status !== 401) showError(form, err, { file: file.input });
    }
  });
  box.append(out, form, errors);
}

// --- points (hub) -----------------------------------------------------------------
async function points(box) {
  const out = notice();
  const list = el('div');
  async function load() {
    try {
      const r = await api.get('/points');
      const items = Array.isArray(r) ? r : (r.items || []);
      list.replaceChildren(table(items, [
        ['name', 'Điểm'], ['place_name', 'Tên địa điểm'], ['area', 'Địa bàn'], [(p) => vnTime(p.last_seen), 'Lần cuối đồng bộ'],
        ['lag_entries', 'Chậm (mục)'], [(p) => (p.clock_skew_ms === null || p.clock_skew_ms === undefined ? '' : Math.round(p.clock_skew_ms / 1000) + ' giây'), 'Lệch đồng hồ'],
        [(p) => (p.alerts || []).map((a) => (typeof a === 'string' ? a : a.kind + (a.detail ? ': ' + a.detail : '') + (a.count > 1 ? ` (${a.count} lần)` : ''))).join('; '), 'Cảnh báo'],
        [(p) => (p.revoked ? 'Đã thu hồi' : revokeButton(p)), 'Thu hồi'],
      ], 'Các điểm phục vụ đã ghi danh'));
    } catch (err) {
      if (err.status !== 401) list.replaceChildren(el('p', {}, viMessage(err)));
    }
  }
  function revokeButton(p) {
    const b = el('button', { type: 'button', class: 'small danger' }, 'Thu hồi khóa', el('span', { class: 'sr-only' }, ' ' + p.name));
    b.addEventListener('click', async () => {
      if (b.dataset.confirm !== '1') { b.dataset.confirm = '1'; b.firstChild.textContent = 'Bấm lần nữa để thu hồi'; return; }
      try { await api.post('/points/' + encodeURIComponent(p.name) + '/revoke', {}); out.textContent = 'Đã thu hồi khóa của ' + p.name + '.'; await load(); } catch (err) { if (err.status !== 401) out.textContent = viMessage(err); }
    });
    return b;
  }
  const name = field('Tên điểm', { autocomplete: 'off', required: true, spellcheck: 'false' }, 'Tên máy: chữ không dấu, số và dấu gạch ngang, ví dụ xa-an-thi');
  const area = field('Địa bàn', { autocomplete: 'off', required: true });
  const place = field('Tên địa điểm', { autocomplete: 'off' }, 'Tên in trên giấy tờ, ví dụ UBND xã Ân Thi');
  const cap = field('Số hồ sơ mỗi ngày', { inputmode: 'numeric' });
  const agency = field('Mã cơ quan tiếp nhận', { autocomplete: 'off', required: true }, 'Phần đầu của mã hồ sơ, ví dụ 000.00.01.H22');
  const acts = select('Việc điểm được ký', [['counter', 'Tiếp nhận và trả kết quả'], ['all', 'Tiếp nhận, trả kết quả và xử lý hồ sơ']]);
  const alert = formAlert();
  const code = el('div', { 'aria-live': 'polite' });
  const add = el('form', { class: 'card', novalidate: true, 'aria-label': 'Ghi danh điểm mới' }, el('h2', {}, 'Ghi danh điểm mới'),
    el('div', { class: 'grid' }, name.wrap, area.wrap, agency.wrap, place.wrap, cap.wrap, acts.wrap), alert, el('button', { type: 'submit' }, 'Tạo mã ghi danh'), code);
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(add);
    const body = { name: name.input.value.trim(), area: area.input.value.trim(), agency_code: agency.input.value.trim(), acts: acts.input.value };
    if (place.input.value.trim()) body.place_name = place.input.value.trim();
    if (cap.input.value.trim()) body.daily_capacity = Number(cap.input.value);
    try {
      const r = await api.post('/points', body);
      code.replaceChildren(el('p', {}, 'Mã ghi danh của ' + r.name + ': ', el('strong', { class: 'code' }, r.enrolment_code)),
        el('p', { class: 'hint' }, 'Mã dùng một lần: đưa cho người cài đặt điểm (motcua join).'));
      await load();
    } catch (err) {
      if (err.status !== 401) showError(add, err, { name: name.input, area: area.input, agency_code: agency.input, acts: acts.input, place_name: place.input, daily_capacity: cap.input });
    }
  });
  box.append(out, list, add);
  await load();
}

// --- quarantine (hub): entries stored but not admitted (docs/sync-protocol.md, section 14)
const Q_STATE = { held: 'Đang cách ly', released: 'Đã cho qua', rejected: 'Đã loại bỏ' };

async function quarantine(box) {
  const out = notice();
  const state = select('Trạng thái', [['held', 'Đang cách ly'], ['released', 'Đã cho qua'], ['rejected', 'Đã loại bỏ'], ['', 'Tất cả']]);
  const list = el('div');
  const form = el('form', { class: 'row', role: 'search', 'aria-label': 'Lọc các mục bị cách ly' }, state.wrap, el('button', { type: 'submit' }, 'Lọc'));
  async function load() {
    try {
      const r = await api.get('/quarantine' + api.qs({ state: state.input.value }));
      const items = (r && r.items) || [];
      if (!items.length) { list.replaceChildren(el('p', {}, 'Không có mục nào.')); return; }
      list.replaceChildren(table(items, [
        [(q) => el('code', {}, q.id.slice(0, 16)), 'Mục nhật ký'], ['point', 'Điểm'], ['seq', 'Số thứ tự'], ['type', 'Loại sự việc'],
        ['subject', 'Hồ sơ'], [(q) => q.code + ': ' + q.reason, 'Lý do cách ly'], [(q) => vnTime(q.at), 'Lúc'],
        [(q) => Q_STATE[q.state] || q.state, 'Trạng thái'], [(q) => (q.state === 'held' ? decideForm(q) : ''), 'Quyết định'],
      ], 'Các mục nhật ký bị cách ly'));
    } catch (err) {
      if (err.status !== 401) list.replaceChildren(el('p', { role: 'alert' }, viMessage(err)));
    }
  }
  function decideForm(q) {
    const short = q.id.slice(0, 16);
    const reason = field('Lý do quyết định', { autocomplete: 'off', required: true });
    const f = el('form', { class: 'inline-form', novalidate: true, 'aria-label': 'Quyết định về mục ' + short }, reason.wrap,
      el('button', { type: 'submit', value: 'release' }, 'Cho qua', el('span', { class: 'sr-only' }, ' mục ' + short)),
      el('button', { type: 'submit', value: 'reject', class: 'danger' }, 'Loại bỏ', el('span', { class: 'sr-only' }, ' mục ' + short)));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const act = ev.submitter && ev.submitter.value === 'reject' ? 'reject' : 'release';
      clearErrors(f);
      try {
        await api.post('/quarantine/' + encodeURIComponent(q.id) + '/' + act, { reason: reason.input.value.trim() });
        out.textContent = (act === 'release' ? 'Đã cho qua mục ' : 'Đã loại bỏ mục ') + short + '.';
        await load();
      } catch (err) {
        if (err.status !== 401) showError(f, err, { reason: reason.input });
      }
    });
    return f;
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  box.append(out, form, list);
  await load();
}

// --- sync audit log ----------------------------------------------------------------
const SYNC_RESULT = { ok: 'Thành công', failed: 'Thất bại', refused: 'Bị từ chối', running: 'Đang chạy', interrupted: 'Bị gián đoạn' };
// Alert kinds (docs/operations.md) in words; the detail stays as the hub wrote it.
const ALERT_KIND = {
  clock_skew: 'Đồng hồ của điểm lệch', divergence: 'Trạng thái hồ sơ khác với máy chủ',
  enrolment_refused: 'Ghi danh bị từ chối', equivocation: 'Một khóa ký hai mục khác nhau cùng số thứ tự',
  fork: 'Sổ nhật ký của điểm rẽ nhánh', journal_broken: 'Sổ nhật ký hỏng', quarantined: 'Mục bị đưa vào cách ly',
  revoked: 'Khóa đã bị thu hồi', sequence_exhausted: 'Hết số hồ sơ trong ngày',
  stale_chain: 'Điểm có sổ nhật ký cũ hơn máy chủ (bản sao lưu chép đè?)',
  stale_hello: 'Điểm báo vị trí đã nhận lùi lại', succession: 'Điểm chuyển sang máy mới',
};
function kilobytes(n) { return (Number(n || 0) / 1024).toLocaleString('vi-VN', { maximumFractionDigits: 1 }) + ' KB'; }
function seconds(ms) { return (Number(ms || 0) / 1000).toLocaleString('vi-VN', { maximumFractionDigits: 1 }) + ' giây'; }
// A point as people know it: its place name, with the machine name the logs use.
const pointLabel = (row) => row.point_label || row.point || '';
const SESSION_COLUMNS = [
  [pointLabel, 'Điểm'],
  [(s) => vnTime(s.start), 'Bắt đầu'],
  [(s) => (s.end ? seconds(Date.parse(s.end) - Date.parse(s.start)) : ''), 'Thời lượng'],
  [(s) => SYNC_RESULT[s.result] || s.result, 'Kết quả'],
  [(s) => `${s.entries_up} / ${s.entries_down}`, 'Mục gửi lên / nhận về'],
  [(s) => `${kilobytes(s.bytes_up)} / ${kilobytes(s.bytes_down)}`, 'Dữ liệu gửi lên / nhận về'],
  ['receipts', 'Biên nhận'],
  [(s) => seconds(s.skew_ms), 'Lệch đồng hồ'],
  ['error', 'Lỗi'],
  [(s) => el('code', { title: s.id }, String(s.id || '').slice(0, 8)), 'Mã phiên'],
];
const ALERT_COLUMNS = [
  [pointLabel, 'Điểm'],
  [(a) => ALERT_KIND[a.kind] || a.kind, 'Loại'],
  ['detail', 'Chi tiết'],
  ['count', 'Số lần'],
  [(a) => vnTime(a.at), 'Lần đầu'],
  [(a) => vnTime(a.last_at), 'Lần cuối'],
];

async function syncLog(box) {
  const point = field('Điểm', { autocomplete: 'off' });
  const since = field('Từ ngày', { placeholder: 'dd/mm/yyyy', inputmode: 'numeric' });
  const result = select('Kết quả', [['', 'Tất cả'], ['ok', 'Thành công'], ['failed', 'Thất bại'], ['running', 'Đang chạy']]);
  const list = el('div');
  const form = el('form', { class: 'row', role: 'search', 'aria-label': 'Lọc nhật ký đồng bộ' }, point.wrap, since.wrap, result.wrap, el('button', { type: 'submit' }, 'Lọc'));
  async function load() {
    try {
      const [r, known] = await Promise.all([
        api.get('/audit/sync-log' + api.qs({ point: point.input.value.trim(), since: isoDate(since.input.value), result: result.input.value })),
        api.get('/points/known').catch((err) => { if (err.status === 401) throw err; return []; })]);
      const sessions = Array.isArray(r) ? r : (r.sessions || r.items || []);
      const alerts = (r && r.alerts) || [];
      const places = new Map((Array.isArray(known) ? known : []).map((p) => [p.name, p.place_name]));
      for (const row of [...sessions, ...alerts]) {
        const place = places.get(row.point);
        if (place && place !== row.point) row.point_label = `${place} (${row.point})`;
      }
      list.replaceChildren(...[
        sessions.length ? table(sessions, SESSION_COLUMNS, 'Phiên đồng bộ') : el('p', {}, 'Không có phiên đồng bộ nào.'),
        alerts.length ? table(alerts, ALERT_COLUMNS, 'Cảnh báo') : null].filter(Boolean));
    } catch (err) {
      if (err.status !== 401) list.replaceChildren(el('p', { role: 'alert' }, viMessage(err)));
    }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  box.append(form, list);
  await load();
}

// --- conflicts ------------------------------------------------------------------------
async function conflicts(box) {
  const out = notice();
  const list = el('div');
  async function load() {
    const r = await api.get('/conflicts');
    const items = Array.isArray(r) ? r : (r.items || r.conflicts || []);
    if (!items.length) { list.replaceChildren(el('p', {}, 'Không có xung đột nào cần xem xét.')); return; }
    list.replaceChildren(el('ul', { class: 'conflicts' }, items.map((c) => {
      const dec = field('Quyết định', { autocomplete: 'off' });
      const note = field('Ghi chú', { autocomplete: 'off' });
      const f = el('form', { class: 'inline-form', 'aria-label': 'Giải quyết xung đột ' + c.id }, dec.wrap, note.wrap, el('button', { type: 'submit' }, 'Ghi quyết định'));
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = { decision: dec.input.value.trim() };
        if (note.input.value.trim()) body.note = note.input.value.trim();
        try { await api.post('/conflicts/' + encodeURIComponent(c.id) + '/resolve', body); out.textContent = 'Đã ghi quyết định.'; await load(); } catch (err) { if (err.status !== 401) showError(f, err, { decision: dec.input, note: note.input }); }
      });
      const [what, how] = CONFLICT_KIND[c.kind] || [c.kind, ''];
      return el('li', { class: 'card' },
        el('p', {}, el('a', { href: '#/dossiers/' + encodeURIComponent(c.dossier || '') }, c.dossier || ''), ` · ${what} · ${c.resolved ? 'đã xem xét' : 'chờ xem xét'}`),
        how ? el('p', {}, how) : null,
        c.settled ? el('p', { class: 'muted', lang: 'en' }, c.settled) : null,
        c.resolved ? null : f);
    })));
  }
  box.append(out, list);
  await load();
}

// --- reports ----------------------------------------------------------------------------
async function reports(box) {
  // From the first of this month to today, in Vietnam's calendar.
  const today = vnToday();
  const pad = (n) => String(n).padStart(2, '0');
  const from = field('Từ ngày', { placeholder: 'dd/mm/yyyy', inputmode: 'numeric', value: `01/${pad(today.month)}/${today.year}` });
  const to = field('Đến ngày', { placeholder: 'dd/mm/yyyy', inputmode: 'numeric', value: `${pad(today.day)}/${pad(today.month)}/${today.year}` });
  const agency = field('Cơ quan', { autocomplete: 'off' }, 'Để trống: mọi cơ quan.');
  const links = el('ul', { class: 'forms' });
  function update() {
    const q = { from: isoDate(from.input.value), to: isoDate(to.input.value) };
    const qa = Object.assign({}, q, { agency: agency.input.value.trim() });
    links.replaceChildren(
      el('li', {}, printLink('Sổ theo dõi hồ sơ (Mẫu 06)', '/api/v1/reports/tracking-book' + api.qs(qa))),
      el('li', {}, printLink('Báo cáo Biểu 06 (xem, in)', '/api/v1/reports/bieu-06' + api.qs(Object.assign({ format: 'html' }, qa)))),
      el('li', {}, el('a', { href: '/api/v1/reports/bieu-06' + api.qs(Object.assign({ format: 'csv' }, qa)), download: 'bieu-06.csv' }, 'Tải Biểu 06 (CSV)')));
  }
  for (const i of [from.input, to.input, agency.input]) i.addEventListener('input', update);
  update();
  box.append(el('form', { class: 'card', 'aria-label': 'Kỳ báo cáo' }, el('h2', {}, 'Kỳ báo cáo'), el('div', { class: 'grid' }, from.wrap, to.wrap, agency.wrap)), links);
}
