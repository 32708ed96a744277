// Small DOM and formatting helpers shared by the screens.
import { usesCookie, authHeaders } from './api.js';

// el('p', {class: 'x', text: 'hi'}, child...) — never innerHTML, so no markup
// from the server or the user is ever interpreted.
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') n.textContent = v;
    else if (k === 'class') n.className = v;
    else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
    else if (k === 'value') n.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'required' || k === 'multiple' || k === 'selected') n[k] = !!v;
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

let uid = 0;
export function newId(prefix) { uid += 1; return prefix + '-' + uid; }

// A labelled input: returns {wrap, input}.
export function field(label, attrs = {}, hint) {
  const id = attrs.id || newId('f');
  const input = el(attrs.tag || 'input', Object.assign({ id, name: id }, attrs, { tag: undefined }));
  const lab = el('label', { for: id }, label);
  if (attrs.required) lab.append(el('span', { class: 'req', 'aria-hidden': 'true' }, ' *'));
  const wrap = el('div', { class: 'field' }, lab, input);
  if (hint) {
    const hid = id + '-hint';
    wrap.append(el('p', { class: 'hint', id: hid }, hint));
    input.setAttribute('aria-describedby', hid);
  }
  return { wrap, input };
}

export function select(label, options, attrs = {}) {
  const f = field(label, Object.assign({ tag: 'select' }, attrs));
  for (const [value, text] of options) f.input.append(el('option', { value }, text));
  return f;
}

export function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

const dtf = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric',
  hour: '2-digit', minute: '2-digit', hour12: false,
});

// "dd/mm/yyyy HH:mm" in Vietnam's time for an ISO instant or milliseconds.
export function vnTime(v) {
  if (v === undefined || v === null || v === '') return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  const p = {};
  for (const part of dtf.formatToParts(d)) p[part.type] = part.value;
  const hour = p.hour === '24' ? '00' : p.hour;
  return `${p.day}/${p.month}/${p.year} ${hour}:${p.minute}`;
}

// Today's date in Vietnam, whatever the browser's time zone:
// { day, month, year } as numbers.
const dayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', day: 'numeric', month: 'numeric', year: 'numeric' });
export function vnToday(now = new Date()) {
  const p = {};
  for (const part of dayFmt.formatToParts(now)) p[part.type] = Number(part.value);
  return { day: p.day, month: p.month, year: p.year };
}

// "dd/mm/yyyy" for a "YYYY-MM-DD" date, and back.
export function vnDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (iso || '');
}
export function isoDate(vn) {
  const s = (vn || '').trim();
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (m) return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  return s;
}

export function money(n) {
  return new Intl.NumberFormat('vi-VN').format(Number(n) || 0) + ' đ';
}

export const STATUS = {
  1: 'Mới đăng ký', 2: 'Được tiếp nhận', 3: 'Không được tiếp nhận', 4: 'Đang xử lý', 5: 'Yêu cầu bổ sung',
  6: 'Yêu cầu nghĩa vụ tài chính', 7: 'Công dân yêu cầu rút', 8: 'Dừng xử lý', 9: 'Đã xử lý xong', 10: 'Đã trả kết quả',
};

// Who takes dossiers in: the counter and the post office (the server's rule).
export const COUNTER_ROLES = ['clerk', 'postal'];
// The link to the period reports (Mẫu 06, Biểu 06), the same words wherever it stands.
export const REPORTS_LINK = 'Sổ theo dõi hồ sơ và báo cáo (Mẫu 06, Biểu 06)';
export const ROLE = { clerk: 'Cán bộ một cửa', postal: 'Nhân viên bưu chính', officer: 'Cán bộ xử lý', admin: 'Quản trị viên' };

const HAS_VI = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;

// Vietnamese words for a refusal, when the server's message is not Vietnamese yet.
const FIELD_VI = {
  'applicant.full_name': 'Họ và tên',
  'applicant.cccd': 'Số CCCD',
  'applicant.phone': 'Số điện thoại',
  'applicant.email': 'Email',
  'applicant.address': 'Địa chỉ',
  'applicant.date_of_birth': 'Ngày sinh',
  qr: 'Mã QR CCCD',
  documents: 'Thành phần hồ sơ',
  return_point: 'Nơi trả kết quả',
  reason: 'Lý do',
  missing: 'Giấy tờ cần bổ sung',
  new_due_at: 'Ngày hẹn trả mới',
  amount_vnd: 'Số tiền',
  receipt_no: 'Số biên lai',
  'recipient.full_name': 'Họ tên người nhận',
  'recipient.cccd': 'Số CCCD người nhận',
  'recipient.relation': 'Quan hệ với người nộp',
  'recipient.authorization': 'Giấy ủy quyền',
  password: 'Mật khẩu',
  username: 'Tên đăng nhập',
};
const CODE_VI = {
  missing_field: 'chưa được nhập',
  invalid_value: 'không hợp lệ',
  wrong_type: 'sai kiểu dữ liệu',
  validation_failed: 'không hợp lệ',
  missing_document: 'thiếu giấy tờ bắt buộc',
  too_large: 'quá lớn',
};
const SPECIFIC_VI = {
  'applicant.cccd': 'Số CCCD phải gồm đúng 12 chữ số, ba số đầu là mã tỉnh (001–096).',
  'applicant.phone': 'Số điện thoại phải có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.',
  'applicant.email': 'Địa chỉ email không đúng dạng.',
  qr: 'Không đọc được mã QR CCCD: hãy quét lại hoặc nhập tay.',
};

export function viMessage(err) {
  const msg = (err && err.message) || '';
  if (HAS_VI.test(msg)) return msg;
  const f = err && err.field;
  if (f && SPECIFIC_VI[f] && (err.code === 'invalid_value' || err.code === 'validation_failed')) return SPECIFIC_VI[f];
  if (err && err.status === 401) return 'Tên đăng nhập hoặc mật khẩu không đúng, hoặc phiên làm việc đã hết hạn.';
  if (err && err.status === 403) return 'Bạn không có quyền làm việc này.';
  if (err && err.code === 'too_many_attempts') return 'Đăng nhập sai quá nhiều lần: hãy đợi một lúc rồi thử lại.';
  if (err && err.code === 'invalid_transition') return 'Hồ sơ đang ở trạng thái không cho phép thao tác này.';
  if (err && err.code === 'network') return 'Không kết nối được với máy chủ motcua.';
  if (f) return (FIELD_VI[f] || f) + ': ' + (CODE_VI[err.code] || 'không hợp lệ') + (msg ? ' (' + msg + ')' : '') + '.';
  return 'Không thực hiện được' + (msg ? ': ' + msg : '.');
}

// Marks the input refused by the server: aria-invalid plus a message it is
// described by. `inputs` maps error.field (JSON path) to an input element.
export function clearErrors(form) {
  for (const n of form.querySelectorAll('[aria-invalid="true"]')) {
    n.removeAttribute('aria-invalid');
    const ids = (n.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.endsWith('-err'));
    if (ids.length) n.setAttribute('aria-describedby', ids.join(' '));
    else n.removeAttribute('aria-describedby');
  }
  for (const n of form.querySelectorAll('.error-msg')) n.remove();
  const alert = form.querySelector('.form-alert');
  if (alert) alert.textContent = '';
}

export function showError(form, err, inputs) {
  clearErrors(form);
  const text = viMessage(err);
  let input = null;
  if (err.field) {
    input = inputs[err.field] || null;
    if (!input) {
      for (const [k, v] of Object.entries(inputs)) if (err.field.startsWith(k + '.') || err.field.startsWith(k + '[')) input = v;
    }
    if (typeof input === 'function') input = input(err);
  }
  if (input) {
    const id = (input.id || newId('x')) + '-err';
    const p = el('p', { class: 'error-msg', id }, text);
    input.setAttribute('aria-invalid', 'true');
    const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    ids.push(id);
    input.setAttribute('aria-describedby', ids.join(' '));
    const wrap = input.closest('.field, fieldset') || input.parentNode;
    wrap.append(p);
    input.focus();
  }
  const alert = form.querySelector('.form-alert');
  if (alert) alert.textContent = input ? 'Có lỗi: ' + text : text;
}

export function formAlert() { return el('p', { class: 'form-alert', role: 'alert' }); }

// A link to a printable page opening in a new tab (with the session cookie;
// with only a bearer token, the page is fetched and shown from memory).
export function printLink(text, url) {
  const a = el('a', { href: url, target: '_blank', rel: 'noopener' }, text);
  a.addEventListener('click', async (ev) => {
    if (usesCookie()) return;
    ev.preventDefault();
    const res = await fetch(url, { headers: authHeaders('GET') });
    // A page shown from memory has no base URL: its own links and scripts
    // (/ui/print.js, /ui/print.css) are made absolute.
    const html = (await res.text()).replace(/(src|href)="\/(?!\/)/g, `$1="${location.origin}/`);
    const blob = new Blob([html], { type: 'text/html' });
    window.open(URL.createObjectURL(blob), '_blank', 'noopener');
  });
  return a;
}

export function heading(text, level = 1) {
  const h = el('h' + level, { tabindex: '-1' }, text);
  return h;
}

// What each kind of conflict is, and how the merge rules settled it
// (docs/domain.md); the server's own sentence follows in English.
export const CONFLICT_KIND = {
  agency_act_vs_edit: ['Cơ quan tiếp nhận hoặc từ chối trong khi điểm sửa hồ sơ',
    'Quyết định của cơ quan được giữ; bản sửa cùng lúc vẫn nằm trong lịch sử, đánh dấu bị thay thế.'],
  handover_vs_delivery_failed: ['Trả kết quả và báo phát không thành cùng lúc',
    'Việc trả kết quả được giữ; báo phát không thành nằm trong lịch sử, đánh dấu bị thay thế.'],
  double_handover: ['Kết quả được trả hai lần',
    'Cả hai lần trả đều được giữ (kết quả đã trao không thu hồi được); hãy kiểm tra ai đã nhận kết quả.'],
  concurrent_edit: ['Hai nơi sửa cùng một thông tin cùng lúc', 'Bản sửa sau (theo đồng hồ của sổ nhật ký) được giữ.'],
  concurrent_transition: ['Hai thao tác đổi trạng thái cùng lúc',
    'Thao tác đầu tiên theo thứ tự được áp dụng; thao tác kia được lưu nhưng không áp dụng.'],
  duplicate_intake: ['Cùng một mã hồ sơ được tiếp nhận hai lần', 'Lần tiếp nhận đầu tiên được giữ.'],
};
