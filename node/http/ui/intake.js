// Intake at the counter (or the doorstep, for postal workers): the
// procedure's documents as checkboxes with counts, the applicant (prefilled
// from the CCCD QR), attachments with upload progress, the return point.
import * as api from './api.js';
import { el, field, select, formAlert, showError, clearErrors, isoDate, vnDate, vnTime, newId, printLink, viMessage, ROLE, COUNTER_ROLES } from './util.js';
import { procedurePicker } from './procedures.js';

function normalizeDocs(docs) {
  return (docs || []).map((d) => (typeof d === 'string'
    ? { name: d, mandatory: !/\(nếu/i.test(d) }
    : { name: d.name, mandatory: d.mandatory !== false }));
}

// Points of this hub as this node knows them; this point comes first.
let pointsCache = null;
export async function knownPoints() {
  if (pointsCache) return pointsCache;
  try {
    const r = await api.get('/points/known');
    pointsCache = Array.isArray(r) ? r : (r.items || []);
  } catch (err) {
    if (err.status === 401) throw err;
    return [];
  }
  return pointsCache;
}

export async function intakeScreen(view) {
  view.setTitle('Tiếp nhận hồ sơ');
  if (!COUNTER_ROLES.includes(view.ctx.session.role)) {
    // Only the counter and the post office take dossiers in (the server
    // answers 403 to anyone else): say so before a form is filled in vain.
    view.main.append(el('h1', {}, 'Tiếp nhận hồ sơ'),
      el('p', { class: 'notice' }, 'Tiếp nhận hồ sơ là việc của cán bộ một cửa và nhân viên bưu chính; tài khoản ' +
        (ROLE[view.ctx.session.role] || view.ctx.session.role) + ' không tiếp nhận hồ sơ.'),
      el('p', {}, el('a', { href: '#/procedures' }, 'Tra cứu thủ tục'), ' · ', el('a', { href: '#/dossiers' }, 'Danh sách hồ sơ')));
    return;
  }
  const code = view.params.get('procedure');
  if (!code) {
    view.main.append(el('h1', {}, 'Tiếp nhận hồ sơ'),
      el('p', {}, 'Trước hết chọn thủ tục hành chính của hồ sơ.'),
      await procedurePicker((p) => '#/intake?procedure=' + encodeURIComponent(p.code)));
    return;
  }
  const [proc, points] = await Promise.all([api.get('/procedures/' + encodeURIComponent(code)), knownPoints()]);
  const role = view.ctx.session.role;
  const form = el('form', { class: 'card intake', novalidate: true });
  const inputs = {};

  // --- CCCD QR ------------------------------------------------------------
  const qr = field('Mã QR CCCD', { autocomplete: 'off', spellcheck: 'false' },
    'Đưa máy quét vào mã QR trên thẻ CCCD: các ô thông tin người nộp sẽ tự điền.');
  qr.input.dataset.autofocus = '';
  inputs.qr = qr.input;
  const qrStatus = el('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  let lastQr = '';
  async function parseQr() {
    const text = qr.input.value.trim();
    if (!text || text === lastQr) return;
    lastQr = text;
    clearErrors(form);
    try {
      const r = await api.post('/cccd/parse', { qr: text });
      if (r.full_name) name.input.value = r.full_name;
      if (r.cccd) cccd.input.value = r.cccd;
      if (r.date_of_birth) dob.input.value = vnDate(r.date_of_birth);
      if (r.address) addr.input.value = r.address;
      qrStatus.textContent = 'Đã điền thông tin từ CCCD của ' + (r.full_name || '') + '.';
    } catch (err) {
      if (err.status === 401) return;
      lastQr = '';
      showError(form, Object.assign(err, { field: err.field || 'qr' }), inputs);
    }
  }
  qr.input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); parseQr(); } });
  qr.input.addEventListener('change', parseQr);

  // --- applicant ------------------------------------------------------------
  const name = field('Họ và tên', { required: true, autocomplete: 'off' });
  const cccd = field('Số CCCD', { required: true, inputmode: 'numeric', autocomplete: 'off', maxlength: 12 });
  const dob = field('Ngày sinh', { inputmode: 'numeric', placeholder: 'dd/mm/yyyy', autocomplete: 'off' });
  const phone = field('Số điện thoại', { type: 'tel', required: true, autocomplete: 'off' });
  const email = field('Email', { type: 'email', autocomplete: 'off' });
  const addr = field('Địa chỉ', { required: true, autocomplete: 'off' });
  Object.assign(inputs, {
    'applicant.full_name': name.input, 'applicant.cccd': cccd.input, 'applicant.date_of_birth': dob.input,
    'applicant.phone': phone.input, 'applicant.email': email.input, 'applicant.address': addr.input,
    applicant: name.input,
  });

  // --- documents --------------------------------------------------------------
  const docs = normalizeDocs(proc.documents);
  const docRows = docs.map((d) => {
    const id = newId('doc');
    const box = el('input', { type: 'checkbox', id, 'aria-required': d.mandatory ? 'true' : null });
    const orig = el('input', { type: 'number', min: 0, max: 20, value: 1, class: 'count', 'aria-label': 'Số bản chính: ' + d.name });
    const copies = el('input', { type: 'number', min: 0, max: 20, value: 0, class: 'count', 'aria-label': 'Số bản sao: ' + d.name });
    const row = el('li', { class: 'doc' },
      el('div', { class: 'doc-name' }, box, ' ', el('label', { for: id }, d.name),
        d.mandatory ? el('span', { class: 'req' }, el('span', { 'aria-hidden': 'true' }, ' *'), el('span', { class: 'sr-only' }, ' (bắt buộc)')) : null),
      el('div', { class: 'doc-counts' },
        el('span', { 'aria-hidden': 'true' }, 'Bản chính '), orig,
        el('span', { 'aria-hidden': 'true' }, ' Bản sao '), copies));
    return { d, box, orig, copies, row };
  });
  const docList = el('fieldset', { class: 'docs' },
    el('legend', {}, 'Thành phần hồ sơ (dấu * là bắt buộc)'), el('ul', {}, docRows.map((r) => r.row)));
  inputs.documents = (err) => {
    const named = docRows.find((r) => (err.message || '').includes(r.d.name) || (err.detail && err.detail.document === r.d.name));
    const first = docRows.find((r) => r.d.mandatory && !r.box.checked);
    return (named || first || docRows[0] || {}).box || docList;
  };

  // --- attachments -------------------------------------------------------------
  const attachments = [];
  const file = field('Tệp đính kèm', { type: 'file', multiple: true, accept: 'application/pdf,image/jpeg,image/png' },
    'Bản quét PDF, JPEG hoặc PNG.');
  inputs.attachments = file.input;
  const uploads = el('ul', { class: 'uploads', 'aria-live': 'polite' });
  file.input.addEventListener('change', async () => {
    for (const f of Array.from(file.input.files || [])) {
      const bar = el('progress', { max: 100, value: 0, 'aria-label': 'Đang tải lên ' + f.name });
      const item = el('li', {}, el('span', {}, f.name + ' '), bar);
      uploads.append(item);
      try {
        const r = await api.uploadBlob(f, (p) => { bar.value = Math.round(p * 100); });
        attachments.push(r.id);
        item.replaceChildren(el('a', { href: '/api/v1/blobs/' + r.id, target: '_blank', rel: 'noopener' }, f.name),
          el('span', { class: 'muted' }, ` · ${Math.ceil((r.size || f.size) / 1024)} KB · đã tải lên`));
      } catch (err) {
        if (err.status === 401) return;
        item.replaceChildren(el('span', { class: 'error-msg' }, f.name + ': ' + viMessage(err)));
      }
    }
    file.input.value = '';
  });

  // --- return point, postal ---------------------------------------------------
  const ret = select('Nơi trả kết quả', points.length
    ? points.map((p, i) => [p.name, (p.place_name || p.name) + (i === 0 ? ' (điểm này)' : '')])
    : [['', 'Tại điểm tiếp nhận này']]);
  inputs.return_point = ret.input;
  let postal = null;
  const postalBox = el('div');
  if (role === 'postal') {
    const byPost = el('input', { type: 'checkbox', id: newId('pp'), checked: true });
    const resPost = el('input', { type: 'checkbox', id: newId('pp'), checked: true });
    const delivery = field('Địa chỉ nhận kết quả', { autocomplete: 'off' });
    inputs['postal.delivery_address'] = delivery.input;
    postalBox.append(el('fieldset', {}, el('legend', {}, 'Bưu chính công ích'),
      el('div', {}, byPost, ' ', el('label', { for: byPost.id }, 'Hồ sơ gửi qua bưu chính')),
      el('div', {}, resPost, ' ', el('label', { for: resPost.id }, 'Trả kết quả qua bưu chính')), delivery.wrap));
    postal = () => ({ dossier_by_post: byPost.checked, result_by_post: resPost.checked,
      delivery_address: delivery.input.value.trim() || addr.input.value.trim() });
  }

  const alert = formAlert();
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Tiếp nhận hồ sơ');
  const result = el('div', { class: 'result', 'aria-live': 'polite' });
  form.append(
    el('fieldset', {}, el('legend', {}, 'Người nộp hồ sơ'), qr.wrap, qrStatus,
      el('div', { class: 'grid' }, name.wrap, cccd.wrap, dob.wrap, phone.wrap, email.wrap, addr.wrap)),
    docList,
    el('fieldset', {}, el('legend', {}, 'Bản quét hồ sơ'), file.wrap, uploads),
    ret.wrap, postalBox, alert, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const applicant = { full_name: name.input.value.trim(), cccd: cccd.input.value.trim(),
      phone: phone.input.value.trim(), address: addr.input.value.trim() };
    if (email.input.value.trim()) applicant.email = email.input.value.trim();
    if (dob.input.value.trim()) applicant.date_of_birth = isoDate(dob.input.value);
    const body = {
      procedure_code: proc.code, channel: role === 'postal' ? 'postal' : 'counter', applicant, form: {},
      attachments: attachments.slice(),
      documents: docRows.filter((r) => r.box.checked).map((r) => ({ name: r.d.name,
        originals: Number(r.orig.value) || 0, copies: Number(r.copies.value) || 0 })),
    };
    if (ret.input.value) body.return_point = ret.input.value;
    if (postal) body.postal = postal();
    submit.disabled = true;
    try {
      const r = await api.post('/dossiers', body);
      const receipt = r.receipt_url || ('/api/v1/dossiers/' + encodeURIComponent(r.code) + '/receipt');
      form.hidden = true;
      result.replaceChildren(
        el('h2', {}, 'Đã tiếp nhận hồ sơ'),
        el('p', {}, 'Mã hồ sơ: ', el('strong', { class: 'code' }, r.code)),
        el('p', {}, 'Hẹn trả kết quả: ' + vnTime(r.due_at)),
        el('p', { class: 'actions' }, printLink('Giấy tiếp nhận', receipt), ' ',
          el('a', { href: '#/dossiers/' + encodeURIComponent(r.code) }, 'Xem hồ sơ'), ' ',
          el('a', { href: '#/intake?procedure=' + encodeURIComponent(proc.code) + '&n=' + Date.now() }, 'Tiếp nhận hồ sơ khác')));
      result.querySelector('h2').setAttribute('tabindex', '-1');
      result.querySelector('h2').focus();
    } catch (err) {
      if (err.status !== 401) showError(form, err, inputs);
    } finally {
      submit.disabled = false;
    }
  });
  view.main.append(el('h1', {}, 'Tiếp nhận hồ sơ'),
    el('p', { class: 'proc' }, el('strong', {}, proc.name), ` (${proc.code}${proc.field ? ' · ' + proc.field : ''})`,
      ' · ', el('a', { href: '#/procedures' }, 'Chọn thủ tục khác')),
    form, result);
}
