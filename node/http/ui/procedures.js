// Procedure search as the national portal does it: keyword as you type
// (the server folds diacritics, case, đ=d and i/y), with Lĩnh vực and Mức độ.
import * as api from './api.js';
import { el, field, select, debounce, viMessage } from './util.js';

let facetsCache = null;
async function facets() {
  if (facetsCache) return facetsCache;
  try {
    facetsCache = await api.get('/procedures/facets');
  } catch (err) {
    if (err.status === 401) throw err;
    facetsCache = { fields: [], levels: ['toàn trình', 'một phần'] };
  }
  return facetsCache;
}

// The search box, filters and result list; `linkFor(p)` gives each result's href.
export async function procedurePicker(linkFor, initial = '') {
  const f = await facets();
  const q = field('Tìm thủ tục', { type: 'search', autocomplete: 'off', value: initial, 'data-autofocus': true,
    placeholder: 'ví dụ: dang ky khai sinh' });
  const fieldSel = select('Lĩnh vực', [['', 'Tất cả lĩnh vực'], ...(f.fields || []).map((x) => [x, x])]);
  const levelSel = select('Mức độ', [['', 'Tất cả mức độ'], ...(f.levels || []).map((x) => [x, x])]);
  const count = el('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const list = el('ul', { class: 'results' });
  let seq = 0;
  async function run() {
    const mine = ++seq;
    try {
      const r = await api.get('/procedures' + api.qs({ q: q.input.value.trim(), field: fieldSel.input.value,
        level: levelSel.input.value, limit: 50 }));
      if (mine !== seq) return;
      const items = r.items || [];
      list.replaceChildren(...items.map((p) => el('li', {},
        el('a', { href: linkFor(p) }, p.name),
        el('span', { class: 'muted' }, ` · ${p.code} · ${p.field || ''}${p.level ? ' · ' + p.level : ''}`))));
      count.textContent = items.length ? `${items.length} thủ tục` : 'Không tìm thấy thủ tục nào.';
    } catch (err) {
      if (mine === seq) count.textContent = viMessage(err);
    }
  }
  const later = debounce(run, 250);
  q.input.addEventListener('input', later);
  q.input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); run(); } });
  fieldSel.input.addEventListener('change', run);
  levelSel.input.addEventListener('change', run);
  const form = el('form', { class: 'search', role: 'search', 'aria-label': 'Tìm thủ tục hành chính' },
    q.wrap, el('div', { class: 'row' }, fieldSel.wrap, levelSel.wrap));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  run();
  return el('div', {}, form, count, list);
}

export async function procedureScreen(view) {
  view.setTitle('Tra cứu thủ tục');
  view.main.append(el('h1', {}, 'Tra cứu thủ tục'),
    el('p', { class: 'muted' }, 'Gõ tên thủ tục, có dấu hay không dấu đều được. Chọn một thủ tục để tiếp nhận hồ sơ.'),
    await procedurePicker((p) => '#/intake?procedure=' + encodeURIComponent(p.code), view.params.get('q') || ''));
}
