// The dossier list (search, status filter, server paging) and the dossier
// detail: its state, whole history, conflicts, and the acts the signed-in
// role may do from the dossier's status, each with a small form.
import * as api from './api.js';
import { knownPoints } from './intake.js';
import { el, field, select, formAlert, showError, clearErrors, debounce, vnTime, vnDate, isoDate, money, STATUS, CONFLICT_KIND, newId, printLink, viMessage, COUNTER_ROLES, REPORTS_LINK } from './util.js';

export async function dossierListScreen(view) {
  view.setTitle('Danh sách hồ sơ');
  const q = field('Tìm hồ sơ', { type: 'search', autocomplete: 'off', value: view.params.get('q') || '',
    placeholder: 'mã hồ sơ, họ tên, số CCCD hoặc điện thoại', 'data-autofocus': true });
  const st = select('Trạng thái', [['', 'Tất cả trạng thái'], ...Object.entries(STATUS).map(([k, v]) => [k, `${k}. ${v}`])]);
  st.input.value = view.params.get('status') || '';
  const info = el('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const body = el('tbody');
  const table = el('table', { class: 'list' },
    el('caption', { class: 'sr-only' }, 'Hồ sơ, mới nhất trước'),
    el('thead', {}, el('tr', {}, ['Mã hồ sơ', 'Người nộp', 'Thủ tục', 'Trạng thái', 'Ngày nhận', 'Hẹn trả']
      .map((h) => el('th', { scope: 'col' }, h)))),
    body);
  const prev = el('button', { type: 'button', disabled: true }, 'Trang trước');
  const next = el('button', { type: 'button', disabled: true }, 'Trang sau');
  let cursors = [''];
  let page = 0;
  let nextCursor = null;
  let seq = 0;
  async function load() {
    const mine = ++seq;
    try {
      const r = await api.get('/dossiers' + api.qs({ q: q.input.value.trim(), status: st.input.value, limit: 20, cursor: cursors[page] }));
      if (mine !== seq) return;
      const items = r.items || [];
      body.replaceChildren(...items.map((d) => el('tr', {},
        el('td', {}, el('a', { href: '#/dossiers/' + encodeURIComponent(d.code) }, d.code)),
        el('td', {}, d.applicant_name || ''),
        el('td', {}, d.procedure_name || d.procedure_code || ''),
        el('td', {}, d.status_name || STATUS[d.status] || ''),
        el('td', {}, vnTime(d.received_at)),
        el('td', { class: d.overdue ? 'late' : '' }, vnTime(d.due_at) + (d.overdue ? ' (quá hạn)' : '')))));
      nextCursor = r.next_cursor || null;
      info.textContent = items.length ? `Trang ${page + 1}: ${items.length} hồ sơ` : 'Không có hồ sơ nào khớp.';
      prev.disabled = page === 0;
      next.disabled = !nextCursor;
    } catch (err) {
      if (mine === seq) info.textContent = viMessage(err);
    }
  }
  function restart() { cursors = ['']; page = 0; load(); }
  q.input.addEventListener('input', debounce(restart, 250));
  q.input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); restart(); } });
  st.input.addEventListener('change', restart);
  next.addEventListener('click', () => { if (!nextCursor) return; cursors[page + 1] = nextCursor; page += 1; load(); });
  prev.addEventListener('click', () => { if (page > 0) { page -= 1; load(); } });
  const form = el('form', { class: 'search', role: 'search', 'aria-label': 'Tìm hồ sơ' }, el('div', { class: 'row' }, q.wrap, st.wrap));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); restart(); });
  view.main.append(el('h1', {}, 'Danh sách hồ sơ'), form, info, el('div', { class: 'table-wrap' }, table),
    el('p', { class: 'pager' }, prev, ' ', next),
    el('p', {}, el('a', { href: '#/reports' }, REPORTS_LINK)));
  await load();
}

// --- acts -------------------------------------------------------------------
const counter = COUNTER_ROLES;
const officer = ['officer'];
// [act, button name (UI.md), roles, statuses, before/after acceptance, fields]
const ACTS = [
  ['accept', 'Tiếp nhận', officer, [1], 'any', []],
  ['reject', 'Từ chối', officer, [1, 5], 'before', ['reason']],
  ['request-supplement', 'Yêu cầu bổ sung', officer, [1, 2, 4], 'any', ['missing', 'reason?']],
  ['supplement', 'Nhận bổ sung', counter, [5], 'any', ['note?']],
  ['start-processing', 'Bắt đầu xử lý', officer, [2, 7], 'any', []],
  ['request-fees', 'Yêu cầu nộp phí', officer, [2, 4], 'any', ['amount_vnd', 'reason?']],
  ['fees', 'Thu phí', counter, [1, 2, 4, 6, 9], 'any', ['amount_vnd', 'receipt_no']],
  ['result-ready', 'Có kết quả', officer, [2, 4], 'any', []],
  ['apologize', 'Xin lỗi và hẹn lại', officer, [1, 2, 4, 5, 6, 7], 'any', ['new_due_at', 'reason']],
  ['handover', 'Trả kết quả', counter, [9], 'any', ['recipient', 'place']],
  ['delivery-failed', 'Giao không thành công', ['postal'], [9], 'any', ['reason', 'address?']],
  ['withdraw-request', 'Rút hồ sơ', counter, [2, 4, 5, 6], 'after', ['reason']],
  ['stop', 'Dừng xử lý', officer, [2, 4, 5, 6, 7], 'after', ['reason']],
  ['update', 'Cập nhật', counter, [1, 5], 'before', ['applicant']],
  ['cancel', 'Hủy hồ sơ', counter, [1, 5], 'before', ['reason']],
];

export function allowedActs(d, role) {
  const closed = !!d.cancelled || [3, 8, 10].includes(d.status);
  if (closed) return [];
  return ACTS.filter(([, , roles, from, when]) => roles.includes(role) && from.includes(d.status) &&
    !(when === 'before' && d.accepted) && !(when === 'after' && !d.accepted));
}

const EVENT_VI = {
  'dossier.submitted': 'Tiếp nhận hồ sơ (nộp)', 'dossier.updated': 'Cập nhật hồ sơ', 'dossier.cancelled': 'Hủy hồ sơ',
  'dossier.accepted': 'Được tiếp nhận', 'dossier.rejected': 'Không được tiếp nhận',
  'dossier.supplement_requested': 'Yêu cầu bổ sung', 'dossier.supplement_supplied': 'Công dân bổ sung hồ sơ',
  'dossier.processing_started': 'Bắt đầu xử lý', 'dossier.fees_requested': 'Yêu cầu nộp phí',
  'dossier.fees_collected': 'Thu phí', 'dossier.withdrawal_requested': 'Công dân yêu cầu rút',
  'dossier.stopped': 'Dừng xử lý', 'dossier.result_ready': 'Có kết quả', 'dossier.apologized': 'Xin lỗi và hẹn lại',
  'dossier.handed_over': 'Trả kết quả', 'dossier.delivery_failed': 'Giao không thành công',
  'conflict.resolved': 'Giải quyết xung đột',
};

function summary(body) {
  if (!body || typeof body !== 'object') return '';
  const parts = [];
  if (body.reason) parts.push('Lý do: ' + body.reason);
  if (Array.isArray(body.missing) && body.missing.length) parts.push('Cần bổ sung: ' + body.missing.join('; '));
  if (body.amount_vnd) parts.push('Số tiền: ' + money(body.amount_vnd));
  if (body.receipt_no) parts.push('Biên lai: ' + body.receipt_no);
  if (body.new_due_at) parts.push('Hẹn mới: ' + vnTime(body.new_due_at));
  if (body.recipient) {
    const r = body.recipient;
    parts.push('Người nhận: ' + (r.full_name || '') + (r.relation ? ' (' + r.relation + ')' : '') +
      (r.authorization ? ', giấy ủy quyền: ' + r.authorization : ''));
  }
  if (body.decision) parts.push('Quyết định: ' + body.decision);
  if (body.note) parts.push('Ghi chú: ' + body.note);
  return parts.join(' · ');
}

function actForm(d, act, done) {
  const [word, label, , , , fields] = act;
  const form = el('form', { class: 'card act-form', novalidate: true, 'aria-label': label });
  const inputs = {};
  const get = {};
  const alert = formAlert();
  const wants = (f) => fields.includes(f) || fields.includes(f + '?');
  const req = (f) => fields.includes(f);
  const add = (key, label2, attrs = {}) => {
    const f = field(label2, Object.assign({ autocomplete: 'off', required: req(key) }, attrs));
    inputs[key] = f.input;
    get[key] = () => f.input.value.trim();
    form.append(f.wrap);
    return f.input;
  };
  form.append(el('h3', {}, label));
  if (wants('missing')) {
    add('missing', 'Giấy tờ cần bổ sung', { tag: 'textarea', rows: 3 });
    get.missing = () => inputs.missing.value.split('\n').map((s) => s.trim()).filter(Boolean);
    form.querySelector('.field:last-of-type').append(el('p', { class: 'hint' }, 'Mỗi dòng một giấy tờ.'));
  }
  if (wants('reason')) add('reason', 'Lý do', { tag: 'textarea', rows: 2 });
  if (wants('amount_vnd')) { add('amount_vnd', 'Số tiền (đồng)', { inputmode: 'numeric' }); get.amount_vnd = () => Number(inputs.amount_vnd.value.replace(/\D/g, '')); }
  if (wants('receipt_no')) add('receipt_no', 'Số biên lai');
  if (wants('new_due_at')) {
    add('new_due_at', 'Ngày hẹn trả mới', { placeholder: 'dd/mm/yyyy HH:mm' });
    get.new_due_at = () => {
      const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(inputs.new_due_at.value.trim());
      if (!m) return inputs.new_due_at.value.trim();
      return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}T${(m[4] || '17').padStart(2, '0')}:${m[5] || '00'}:00+07:00`;
    };
  }
  if (wants('address')) add('address', 'Địa chỉ giao');
  if (wants('note')) add('note', 'Ghi chú');
  let recipient = null;
  if (wants('recipient')) {
    const self = el('input', { type: 'checkbox', id: newId('self'), checked: true });
    const rname = field('Họ tên người nhận', { autocomplete: 'off', value: (d.applicant && d.applicant.full_name) || '' });
    const rcccd = field('Số CCCD người nhận', { autocomplete: 'off', inputmode: 'numeric', value: (d.applicant && d.applicant.cccd) || '' });
    const rel = field('Quan hệ với người nộp', { autocomplete: 'off' });
    const auth = field('Giấy ủy quyền', { autocomplete: 'off' }, 'Số, ngày của văn bản ủy quyền.');
    const other = el('div', { class: 'other', hidden: true }, rel.wrap, auth.wrap);
    self.addEventListener('change', () => {
      other.hidden = self.checked;
      if (self.checked) { rname.input.value = d.applicant.full_name || ''; rcccd.input.value = d.applicant.cccd || ''; }
      else { rname.input.value = ''; rcccd.input.value = ''; }
    });
    Object.assign(inputs, { 'recipient.full_name': rname.input, 'recipient.cccd': rcccd.input,
      'recipient.relation': rel.input, 'recipient.authorization': auth.input, recipient: rname.input });
    form.append(el('div', { class: 'check' }, self, ' ', el('label', { for: self.id }, 'Người nhận là người nộp hồ sơ')),
      rname.wrap, rcccd.wrap, other);
    const place = select('Nơi trả', [['counter', 'Tại quầy'], ['postal', 'Qua bưu chính']]);
    inputs.place = place.input;
    form.append(place.wrap);
    recipient = () => {
      const r = { full_name: rname.input.value.trim(), cccd: rcccd.input.value.trim() };
      if (!self.checked) {
        if (rel.input.value.trim()) r.relation = rel.input.value.trim();
        if (auth.input.value.trim()) r.authorization = auth.input.value.trim();
      }
      return r;
    };
    get.place = () => place.input.value;
  }
  if (wants('applicant')) {
    const a = d.applicant || {};
    const spec = [['full_name', 'Họ và tên'], ['cccd', 'Số CCCD'], ['phone', 'Số điện thoại'], ['email', 'Email'], ['address', 'Địa chỉ']];
    const got = {};
    for (const [k, lab] of spec) {
      const f = field(lab, { autocomplete: 'off', value: a[k] || '' });
      inputs['applicant.' + k] = f.input;
      got[k] = f.input;
      form.append(f.wrap);
    }
    get.applicant = () => {
      const out = {};
      for (const [k] of spec) if (got[k].value.trim() !== (a[k] || '')) out[k] = got[k].value.trim();
      return out;
    };
  }
  const cancel = el('button', { type: 'button' }, 'Đóng');
  cancel.addEventListener('click', () => done(false));
  form.append(alert, el('p', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Xác nhận: ' + label), ' ', cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = {};
    for (const k of Object.keys(get)) {
      const v = get[k]();
      if (v === '' || v === 0 || (Array.isArray(v) && !v.length && !req(k))) continue;
      body[k] = v;
    }
    if (recipient) body.recipient = recipient();
    try {
      if (word === 'update') {
        if (!body.applicant || !Object.keys(body.applicant).length) { alert.textContent = 'Chưa có gì thay đổi.'; return; }
        await api.patch('/dossiers/' + encodeURIComponent(d.code), { applicant: body.applicant });
      } else {
        await api.post('/dossiers/' + encodeURIComponent(d.code) + '/' + word, body);
      }
      done(true, label);
    } catch (err) {
      if (err.status !== 401) showError(form, err, inputs);
    }
  });
  return form;
}

export async function dossierDetailScreen(view, code) {
  const role = view.ctx.session.role;
  const path = '/dossiers/' + encodeURIComponent(code);
  const [d, hist, points] = await Promise.all([api.get(path), api.get(path + '/history'), knownPoints()]);
  const placeOf = (name) => ((points.find((p) => p.name === name) || {}).place_name || name || '');
  view.setTitle('Hồ sơ ' + d.code);
  const a = d.applicant || {};
  const info = el('dl', { class: 'facts' },
    ...[['Trạng thái', `${d.status}. ${d.status_name || STATUS[d.status]}`],
      ['Thủ tục', `${d.procedure_name || ''} (${d.procedure_code || ''})`],
      ['Người nộp', a.full_name], ['Số CCCD', a.cccd], ['Số điện thoại', a.phone], ['Email', a.email],
      ['Địa chỉ', a.address], ['Ngày sinh', vnDate(a.date_of_birth)],
      ['Ngày nhận', vnTime(d.received_at)], ['Hẹn trả', vnTime(d.due_at) + (d.overdue ? ' (quá hạn)' : '') + (d.paused ? ' (tạm dừng)' : '')],
      ['Nơi trả kết quả', placeOf(d.return_point)], ['Kênh', { counter: 'Tại quầy', postal: 'Bưu chính', online: 'Trực tuyến' }[d.channel] || d.channel]]
      .filter(([, v]) => v)
      .flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const docs = Array.isArray(d.documents) && d.documents.length
    ? el('ul', {}, d.documents.map((x) => el('li', {}, typeof x === 'string' ? x
      : `${x.name} — ${x.originals || 0} bản chính, ${x.copies || 0} bản sao`)))
    : null;
  const att = (d.attachments || []).length
    ? el('ul', {}, d.attachments.map((id, i) => el('li', {}, el('a', { href: '/api/v1/blobs/' + id, target: '_blank', rel: 'noopener' }, 'Tệp đính kèm ' + (i + 1)))))
    : null;

  const events = Array.isArray(hist) ? hist : (hist.events || hist.items || []);
  const histHead = el('h2', { id: newId('h') }, 'Lịch sử');
  const history = el('section', { 'aria-labelledby': histHead.id, class: 'history' }, histHead,
    el('ol', {}, events.map((e) => el('li', { class: e.superseded ? 'superseded' : '' },
      el('span', { class: 'when' }, vnTime(e.time)), ' ',
      el('strong', {}, EVENT_VI[e.type] || e.type), ' ',
      el('span', { class: 'muted' }, '· ' + (e.user || '') + (e.node ? ' @ ' + String(e.node).slice(0, 8) : '')),
      e.superseded ? el('span', { class: 'tag' }, ' (bị thay thế)') : null,
      e.applied === false ? el('span', { class: 'tag' }, ' (không áp dụng)') : null,
      summary(e.body) ? el('div', { class: 'body' }, summary(e.body)) : null))));

  let conflicts = null;
  if ((d.conflicts || []).length) {
    const ch = el('h2', { id: newId('h') }, 'Xung đột');
    conflicts = el('section', { 'aria-labelledby': ch.id }, ch, el('ul', {}, d.conflicts.map((c) => el('li', {},
      `${(CONFLICT_KIND[c.kind] || [c.kind])[0]}: ${c.resolved ? 'đã xem xét' : 'chờ xem xét'}${CONFLICT_KIND[c.kind] ? ' — ' + CONFLICT_KIND[c.kind][1] : ''}`,
      (!c.resolved && (role === 'admin' || role === 'officer')) ? el('a', { href: '#/admin/conflicts' }, ' Xem xét') : null))));
  }

  const actsBox = el('div', { class: 'acts' });
  const actArea = el('div', { 'aria-live': 'polite' });
  const acts = allowedActs(d, role);
  for (const act of acts) {
    const b = el('button', { type: 'button', 'aria-expanded': 'false' }, act[1]);
    b.addEventListener('click', () => {
      // Acts without fields still ask for a confirmation.
      actArea.replaceChildren(actForm(d, act, finish));
      for (const o of actsBox.querySelectorAll('button')) o.setAttribute('aria-expanded', String(o === b));
      const first = actArea.querySelector('input:not([type=checkbox]), textarea, select, button[type=submit]');
      if (first) first.focus();
    });
    actsBox.append(b, ' ');
  }
  const flash = el('p', { class: 'notice', role: 'status' }, view.params.get('done') ? 'Đã ghi: ' + view.params.get('done') : '');
  function finish(ok, label) {
    if (!ok) { actArea.replaceChildren(); return; }
    location.hash = '#/dossiers/' + encodeURIComponent(d.code) + '?done=' + encodeURIComponent(label) + '&t=' + Date.now();
  }
  // Mẫu 01 and 05 always; 02, 03, 04 once the dossier has what they print.
  const happened = (t) => events.some((e) => e.type === t && e.superseded !== true);
  const forms = el('ul', { class: 'forms' },
    el('li', {}, printLink('Giấy tiếp nhận (Mẫu 01)', `/api/v1${path}/receipt`)),
    happened('dossier.supplement_requested') ? el('li', {}, printLink('Phiếu yêu cầu bổ sung (Mẫu 02)', `/api/v1${path}/forms/02`)) : null,
    happened('dossier.rejected') ? el('li', {}, printLink('Phiếu từ chối (Mẫu 03)', `/api/v1${path}/forms/03`)) : null,
    happened('dossier.apologized') ? el('li', {}, printLink('Phiếu xin lỗi và hẹn lại (Mẫu 04)', `/api/v1${path}/forms/04`)) : null,
    el('li', {}, printLink('Phiếu kiểm soát quá trình (Mẫu 05)', `/api/v1${path}/forms/05`)));
  view.main.append(...[
    el('p', {}, el('a', { href: '#/dossiers' }, '← Danh sách hồ sơ')),
    el('h1', {}, 'Hồ sơ ' + d.code), flash, info,
    docs ? el('section', { 'aria-label': 'Thành phần hồ sơ' }, el('h2', {}, 'Thành phần hồ sơ'), docs) : null,
    att ? el('section', { 'aria-label': 'Tệp đính kèm' }, el('h2', {}, 'Tệp đính kèm'), att) : null,
    acts.length ? el('section', { 'aria-label': 'Thao tác' }, el('h2', {}, 'Thao tác'), actsBox, actArea) : null,
    el('section', { 'aria-label': 'Biểu mẫu in' }, el('h2', {}, 'Biểu mẫu in'), forms),
    conflicts, history].filter(Boolean));
}
