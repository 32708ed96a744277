// The counter in a real browser: Debian's chromium, driven by playwright-core
// through the accessibility tree (role + accessible name, exactly as UI.md
// names them), against a real `motcua serve` on loopback with a fresh data
// directory. Screenshots of every screen go to build/screenshots/; axe-core
// runs on every screen and any serious or critical violation fails the run.
//
//   node flow.mjs            (deploy/browser-test.sh sets the paths below)
//   MOTCUA_BIN=build/motcua CHROMIUM=/usr/bin/chromium SCREENSHOTS=build/screenshots
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const BIN = resolve(process.env.MOTCUA_BIN || join(repo, 'build/motcua'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = resolve(process.env.SCREENSHOTS || join(repo, 'build/screenshots'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'mat-khau-thu-nghiem';
const USERS = [['lan', 'clerk', 'Nguyễn Thị Lan'], ['hoa', 'officer', 'Trần Văn Hòa'], ['quan', 'admin', 'Lê Minh Quân'], ['binh', 'clerk', 'Phạm Văn Bình']];
const QR = '001099012345|123456789|Nguyễn Văn An|01021999|Nam|Thôn Đông, xã Ân Thi, Hưng Yên|15062021';
const VN_TIME = /\b\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}\b/;

const results = [];   // [status, name, detail]
const problems = [];  // page errors, CSP violations, accessibility violations
let shotNo = 0;

function fail(msg) { throw new Error(msg); }
function log(...a) { console.log('[browser]', ...a); }

// --- the daemon ------------------------------------------------------------------
function run(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8' });
  if (r.status !== 0) fail(`motcua ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function startDaemon(dir) {
  run(['init', '--role', 'point', '--name', 'xa-an-thi', '--agency-code', '000.00.01.H22', '--data-dir', dir]);
  run(['config', 'set', 'place_name', 'UBND xã Ân Thi', '--data-dir', dir]);
  run(['config', 'set', 'agency_name', 'UBND xã Ân Thi', '--data-dir', dir]);
  for (const [name, role, full] of USERS) run(['user', 'add', name, '--role', role, '--full-name', full, '--data-dir', dir], PASSWORD + '\n');
  return serve(dir);
}

// A hub with its admin, and a second point (CLI only) enrolled and synced
// once, so the hub's own screens have a point and a session to show.
async function startHub(dir, pointDir) {
  run(['init', '--role', 'hub', '--name', 'tinh-hung-yen', '--agency-code', '000.00.01.H22', '--data-dir', dir]);
  run(['user', 'add', 'quan', '--role', 'admin', '--full-name', 'Lê Minh Quân', '--data-dir', dir], PASSWORD + '\n');
  const out = run(['point', 'add', 'xa-tan-phuc', '--area', 'an-thi', '--agency', '000.00.01.H22', '--place-name', 'UBND xã Tân Phúc', '--data-dir', dir]);
  const code = /--code (\S+)/.exec(out);
  if (!code) fail('no enrolment code in: ' + out);
  const hub = await serve(dir);
  run(['init', '--role', 'point', '--name', 'xa-tan-phuc', '--data-dir', pointDir]);
  run(['join', '--hub', hub.base, '--code', code[1], '--data-dir', pointDir]);
  run(['sync', '--once', '--data-dir', pointDir]);
  return hub;
}

// Requests the daemons answered 404 for a path no route has (their access
// log says route=unmatched): a page asking for a file that is not there,
// such as /favicon.ico without an icon link, which fills an admin's log.
let unmatched = 0;

async function serve(dir) {
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const count = (d) => { unmatched += (String(d).match(/route=unmatched status=404/g) || []).length; };
  child.stdout.on('data', count);
  child.stderr.on('data', count);
  const port = await new Promise((res, rej) => {
    let buf = '';
    const t = setTimeout(() => rej(new Error('motcua serve did not start: ' + buf)), 15000);
    const on = (d) => {
      buf += d;
      const m = /event=listening addr=[^\s]*:(\d+)/.exec(buf);
      if (m) { clearTimeout(t); res(Number(m[1])); }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => rej(new Error('motcua serve exited ' + code + ': ' + buf)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

// Which endpoints of the contract this build has: asked with an admin's
// bearer token, a route that exists answers anything but 404.
// --- per screen ------------------------------------------------------------------------
async function screen(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  shotNo += 1;
  const file = join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  // A value the script failed to turn into words, shown as such.
  const text = await page.evaluate(() => document.body.innerText);
  const raw = /\b(null|undefined|NaN)\b|\[object Object\]/.exec(text);
  if (raw) problems.push(`screen ${name} shows "${raw[0]}": …${text.slice(Math.max(0, raw.index - 60), raw.index + 20).replace(/\s+/g, ' ')}…`);
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of r.violations) {
    if (v.impact === 'serious' || v.impact === 'critical')
      problems.push(`axe ${v.impact} on ${name}: ${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  }
  log(`screen ${name}: ${r.violations.length} axe finding(s), serious/critical: ${r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').length}`);
}

// Pages still open: a failed step leaves a screenshot and the text of each.
const openPages = new Set();

async function newPage(browser, base, width = 1366, height = 768) {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height }, locale: 'vi-VN', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  openPages.add(page);
  page.on('close', () => openPages.delete(page));
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push('CSP: ' + m.text());
  });
  page.setDefaultTimeout(8000);
  return page;
}

async function signIn(page, user) {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Tên đăng nhập', exact: true }).waitFor();
  await page.getByRole('textbox', { name: 'Tên đăng nhập', exact: true }).fill(user);
  await page.getByRole('textbox', { name: 'Mật khẩu', exact: true }).fill(PASSWORD);
  const t0 = Date.now();
  await page.getByRole('textbox', { name: 'Mật khẩu', exact: true }).press('Enter');  // Enter submits
  await page.getByRole('navigation', { name: 'Chức năng' }).waitFor();
  await page.locator('main h1').first().waitFor();
  log(`${user}: first screen after sign-in in ${Date.now() - t0} ms`);
  await page.getByRole('status', { name: 'Trạng thái đồng bộ' }).waitFor();
}

// Moves within the app (no reload: a session held only in memory survives).
async function hashTo(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

async function openDossier(page, code) {
  await page.getByRole('link', { name: 'Danh sách hồ sơ', exact: true }).click();
  await page.getByRole('searchbox', { name: 'Tìm hồ sơ', exact: true }).fill(code);
  await page.getByRole('link', { name: code, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(code.replace(/\./g, '\\.')) }).waitFor();
}

// Opens the act's form and confirms it with the keyboard alone: the button
// by Enter, then Enter again from where the focus lands in its form.
async function act(page, button, fill) {
  await page.getByRole('button', { name: button, exact: true }).focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('button', { name: 'Xác nhận: ' + button, exact: true });
  await confirm.waitFor();
  if (fill) {
    await fill(page);
    await confirm.focus();
  } else {
    // The focus is in the act's form (its first field or its confirm button): Enter submits.
    await until(() => confirm.evaluate((b) => b.form.contains(document.activeElement)), 'the focus in the form of ' + button);
  }
  await page.keyboard.press('Enter');
  await page.getByText('Đã ghi: ' + button).waitFor();
}

async function until(cond, what, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail('timed out waiting for ' + what);
}

// What each open page showed when a step failed: its address, the text of
// its main area, and a screenshot FAIL-<step>-<n>.png beside the others.
async function showPages(stepName) {
  let n = 0;
  for (const page of openPages) {
    n += 1;
    const file = join(SHOTS, `FAIL-${stepName.replace(/[^a-z0-9]+/gi, '-')}-${n}.png`);
    try {
      const text = await page.evaluate(() => (document.querySelector('main') || document.body).innerText);
      log(`  page ${n} at ${page.url()}: ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
      await page.screenshot({ path: file, fullPage: true });
      log(`  page ${n} screenshot: ${file}`);
    } catch (err) {
      log(`  page ${n}: could not be read (${err.message.split('\n')[0]})`);
    }
  }
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(['PASS', name, `${Date.now() - t0} ms`]);
    log('PASS', name);
  } catch (e) {
    results.push(['FAIL', name, e.message.split('\n')[0]]);
    log('FAIL', name, '-', e.message);
    await showPages(name);
    return false;
  }
  return true;
}

// --- the flow ---------------------------------------------------------------------------
async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'motcua-browser-'));
  const { child, base } = await startDaemon(join(dir, 'node'));
  let hubChild = null;
  let pointChild = null;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--lang=vi-VN'] });
  const t0 = Date.now();
  let code = '';
  try {
    const clerk = await newPage(browser, base);
    await step('sign-in screen', async () => {
      await clerk.goto('/');
      await clerk.getByRole('button', { name: 'Đăng nhập', exact: true }).waitFor();
      // Nobody is signed in: no navigation, no sign-out, no sync bar yet.
      for (const [what, loc] of [['the navigation', clerk.getByRole('navigation', { name: 'Chức năng' })],
        ['the sign-out button', clerk.getByRole('button', { name: 'Đăng xuất', exact: true })],
        ['the sync bar', clerk.getByRole('status', { name: 'Trạng thái đồng bộ' })]])
        if (await loc.isVisible()) fail(`the sign-in screen shows ${what}`);
      await screen(clerk, 'sign-in');
      // A wrong password stays on the sign-in screen with a message.
      await clerk.getByRole('textbox', { name: 'Tên đăng nhập', exact: true }).fill('lan');
      await clerk.getByRole('textbox', { name: 'Mật khẩu', exact: true }).fill('sai-mat-khau');
      await clerk.keyboard.press('Enter');
      await clerk.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
    });
    await step('clerk signs in; navigation and sync status', async () => {
      await signIn(clerk, 'lan');
      const nav = clerk.getByRole('navigation', { name: 'Chức năng' });
      for (const n of ['Tiếp nhận hồ sơ', 'Danh sách hồ sơ', 'Tra cứu thủ tục', 'Đồng bộ']) await nav.getByRole('link', { name: n, exact: true }).waitFor();
      if (await nav.getByRole('link', { name: 'Quản trị', exact: true }).isVisible()) fail('a clerk sees Quản trị');
      await clerk.getByRole('button', { name: 'Đăng xuất', exact: true }).waitFor();
      const st = clerk.getByRole('status', { name: 'Trạng thái đồng bộ' });
      await st.filter({ hasText: /Đang kết nối|Mất kết nối|Đang đồng bộ/ }).waitFor();
      await st.getByRole('button', { name: 'Đồng bộ ngay', exact: true }).waitFor();
    });
    await step('procedure search as the clerk types', async () => {
      await clerk.getByRole('link', { name: 'Tra cứu thủ tục', exact: true }).click();
      const box = clerk.getByRole('searchbox', { name: 'Tìm thủ tục', exact: true });
      await box.focus();
      // The i/y spelling of the portal: "ki" finds "ký".
      await clerk.keyboard.type('dang ki khai sinh', { delay: 15 });
      await clerk.getByRole('combobox', { name: 'Lĩnh vực', exact: true }).waitFor();
      await clerk.getByRole('combobox', { name: 'Mức độ', exact: true }).waitFor();
      await clerk.getByRole('link', { name: /đăng ký khai sinh/i }).first().waitFor();
      await screen(clerk, 'procedure-search');
      await clerk.getByRole('link', { name: /đăng ký khai sinh/i }).first().click();
      await clerk.getByRole('textbox', { name: 'Mã QR CCCD', exact: true }).waitFor();
    });
    await step('intake: QR prefill, inline error for a bad CCCD, documents, PDF, take in', async () => {
      const qr = clerk.getByRole('textbox', { name: 'Mã QR CCCD', exact: true });
      const name = clerk.getByRole('textbox', { name: 'Họ và tên', exact: true });
      const cccd = clerk.getByRole('textbox', { name: 'Số CCCD', exact: true });
      await qr.fill(QR);
      await qr.press('Enter');
      await until(async () => (await name.inputValue()) === 'Nguyễn Văn An', 'Họ và tên filled from the QR');
      if ((await cccd.inputValue()) !== '001099012345') fail('Số CCCD not filled from the QR');
      if ((await clerk.getByRole('textbox', { name: 'Ngày sinh', exact: true }).inputValue()) !== '01/02/1999') fail('Ngày sinh not filled');
      await clerk.getByRole('textbox', { name: 'Số điện thoại', exact: true }).fill('0912345678');
      await clerk.getByRole('textbox', { name: 'Email', exact: true }).fill('an.nguyen@example.vn');
      await cccd.fill('00109901234');  // 11 digits: refused by the server
      for (const box of await clerk.getByRole('checkbox').all()) await box.check();
      await clerk.getByLabel('Tệp đính kèm').setInputFiles(join(here, 'fixtures/to-khai.pdf'));
      await clerk.getByRole('link', { name: 'to-khai.pdf', exact: true }).waitFor();
      await screen(clerk, 'intake-filled');
      await clerk.getByRole('button', { name: 'Tiếp nhận hồ sơ', exact: true }).click();
      await clerk.locator('[aria-invalid="true"]').first().waitFor();
      if ((await cccd.getAttribute('aria-invalid')) !== 'true') fail('Số CCCD is not marked aria-invalid');
      const described = (await cccd.getAttribute('aria-describedby')).split(' ');
      const msg = await clerk.locator('#' + described[described.length - 1]).innerText();
      if (!/CCCD/.test(msg) || !/[ốốữạ]/.test(msg)) fail('no Vietnamese message for the bad CCCD: ' + msg);
      await screen(clerk, 'intake-inline-error');
      await cccd.fill('001099012345');
      await cccd.press('Enter');  // Enter submits the form
      await clerk.getByRole('heading', { name: 'Đã tiếp nhận hồ sơ' }).waitFor();
      code = (await clerk.locator('.result .code').innerText()).trim();
      if (!/^000\.00\.01\.H22-\d{6}-\d{4}$/.test(code)) fail('unexpected dossier code ' + code);
      await screen(clerk, 'intake-done');
    });
    await step('receipt opens in a new tab and has the In button', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      const [tab] = await Promise.all([clerk.context().waitForEvent('page'), clerk.getByRole('link', { name: 'Giấy tiếp nhận', exact: true }).click()]);
      await tab.waitForLoadState();
      const text = await tab.locator('body').innerText();
      if (!text.includes(code)) fail('the receipt does not show ' + code);
      await screen(tab, 'receipt');
      const print = tab.getByRole('button', { name: 'In', exact: true });
      if (!(await print.count())) fail('the receipt has no `In` button');
      await tab.evaluate(() => { window.print = () => { document.body.dataset.printed = '1'; }; });
      await print.click();
      await tab.waitForFunction(() => document.body.dataset.printed === '1');
      await tab.close();
    });
    const officer = await newPage(browser, base);
    await step('officer accepts and asks for a supplement', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      await signIn(officer, 'hoa');
      await officer.getByRole('link', { name: 'Danh sách hồ sơ', exact: true }).click();
      await officer.getByRole('combobox', { name: 'Trạng thái', exact: true }).selectOption('1');
      await officer.getByRole('link', { name: code, exact: true }).waitFor();
      // The row names the applicant, not only the code.
      await officer.getByRole('row').filter({ hasText: code }).getByRole('cell', { name: 'Nguyễn Văn An', exact: true }).waitFor();
      await screen(officer, 'dossier-list');
      await openDossier(officer, code);
      await officer.getByRole('region', { name: 'Lịch sử' }).filter({ hasText: VN_TIME }).waitFor();
      if (await officer.getByRole('button', { name: 'Trả kết quả', exact: true }).count()) fail('an officer is offered Trả kết quả');
      // Where the result goes, by the place's name (config place_name), not the point's machine name.
      await officer.getByRole('definition').filter({ hasText: /^UBND xã Ân Thi$/ }).waitFor();
      await screen(officer, 'detail-officer-new');
      await act(officer, 'Tiếp nhận');
      await act(officer, 'Yêu cầu bổ sung', async (p) => {
        await p.getByRole('textbox', { name: 'Giấy tờ cần bổ sung', exact: true }).fill('Bản chính Giấy chứng sinh');
        await screen(p, 'act-request-supplement');
      });
      await officer.getByText(/5\. Yêu cầu bổ sung/).first().waitFor();
    });
    await step('clerk records the supplement', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      await openDossier(clerk, code);
      await act(clerk, 'Nhận bổ sung');
      await clerk.getByText(/2\. Được tiếp nhận/).first().waitFor();
    });
    await step('officer marks the result ready', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      await openDossier(officer, code);
      await act(officer, 'Có kết quả');
      await officer.getByText(/9\. Đã xử lý xong/).first().waitFor();
    });
    await step('an officer opening Tiếp nhận hồ sơ is told who takes dossiers in, before any form', async () => {
      await officer.getByRole('link', { name: 'Tiếp nhận hồ sơ', exact: true }).click();
      await officer.getByText('Tiếp nhận hồ sơ là việc của cán bộ một cửa và nhân viên bưu chính', { exact: false }).waitFor();
      if (await officer.getByRole('textbox', { name: 'Tìm thủ tục', exact: true }).count()) fail('an officer is offered the intake form');
    });
    await step('clerk hands the result to an authorised relative', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      await openDossier(clerk, code);
      await clerk.getByRole('button', { name: 'Trả kết quả', exact: true }).click();
      await clerk.getByRole('checkbox', { name: 'Người nhận là người nộp hồ sơ' }).uncheck();
      await clerk.getByRole('textbox', { name: 'Họ tên người nhận', exact: true }).fill('Nguyễn Thị Mai');
      await clerk.getByRole('textbox', { name: 'Số CCCD người nhận', exact: true }).fill('001199054321');
      await clerk.getByRole('textbox', { name: 'Quan hệ với người nộp', exact: true }).fill('vợ');
      await clerk.getByRole('textbox', { name: 'Giấy ủy quyền', exact: true }).fill('Giấy ủy quyền số 12/UQ ngày 01/12/2026');
      await screen(clerk, 'act-handover');
      await clerk.getByRole('button', { name: 'Xác nhận: Trả kết quả', exact: true }).click();
      await clerk.getByText(/10\. Đã trả kết quả/).first().waitFor();
      const hist = clerk.getByRole('region', { name: 'Lịch sử' });
      await hist.getByText(/Nguyễn Thị Mai \(vợ\)/).waitFor();
      await screen(clerk, 'detail-handed-over');
      if (await clerk.getByRole('button', { name: 'Hủy hồ sơ', exact: true }).count()) fail('Hủy hồ sơ offered after handover');
    });
    await step('dossier list and intake at 360 px', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      const phone = await newPage(browser, base, 360, 740);
      await signIn(phone, 'lan');
      await phone.getByRole('link', { name: 'Danh sách hồ sơ', exact: true }).click();
      await phone.getByRole('combobox', { name: 'Trạng thái', exact: true }).selectOption('10');
      await phone.getByRole('link', { name: code, exact: true }).waitFor();
      await screen(phone, 'list-360px');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 2) fail(`the page is ${overflow} px wider than a 360 px screen`);
      await hashTo(phone, '#/intake?procedure=1.001193');
      await phone.getByRole('textbox', { name: 'Mã QR CCCD', exact: true }).waitFor();
      await screen(phone, 'intake-360px');
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (wide > 2) fail(`the intake form is ${wide} px wider than a 360 px screen`);
      await phone.context().close();
    });
    await step('the clerk keeps the tracking book: Mẫu 06 from the dossier list, no admin tabs', async () => {
      if (!code) fail('no dossier: the intake step did not pass');
      await clerk.getByRole('link', { name: 'Danh sách hồ sơ', exact: true }).click();
      await clerk.getByRole('link', { name: 'Sổ theo dõi hồ sơ và báo cáo (Mẫu 06, Biểu 06)', exact: true }).click();
      await clerk.getByRole('heading', { level: 1, name: 'Sổ theo dõi hồ sơ và báo cáo' }).waitFor();
      if (await clerk.getByRole('navigation', { name: 'Quản trị' }).count()) fail('a clerk is shown the admin tabs');
      const [tab] = await Promise.all([clerk.context().waitForEvent('page'), clerk.getByRole('link', { name: 'Sổ theo dõi hồ sơ (Mẫu 06)', exact: true }).click()]);
      await tab.waitForLoadState();
      const row = tab.getByRole('row').filter({ hasText: code });
      await row.waitFor();
      // Cơ quan chủ trì giải quyết: this point's agency by name, not its bare code.
      await row.getByRole('cell', { name: 'UBND xã Ân Thi (000.00.01.H22)', exact: true }).waitFor();
      await screen(tab, 'tracking-book');
      await tab.close();
      // A clerk who types the admin address is told whose it is.
      await hashTo(clerk, '#/admin/reports');
      await clerk.getByText('Trang quản trị chỉ dành cho quản trị viên.', { exact: true }).waitFor();
      if (await clerk.getByRole('navigation', { name: 'Quản trị' }).count()) fail('a clerk at #/admin is shown the admin tabs');
    });
    await step('sync screen', async () => {
      await clerk.getByRole('link', { name: 'Đồng bộ', exact: true }).click();
      await clerk.getByRole('heading', { level: 1, name: 'Đồng bộ' }).waitFor();
      await screen(clerk, 'sync');
    });
    await step('an ended session returns to sign-in with a message', async () => {
      await clerk.context().clearCookies();  // as when the idle timeout ends the session
      await clerk.getByRole('link', { name: 'Danh sách hồ sơ', exact: true }).click();
      await clerk.getByText(/Phiên làm việc đã hết hạn/).waitFor();
      await clerk.getByRole('button', { name: 'Đăng nhập', exact: true }).waitFor();
      await signIn(clerk, 'lan');
    });
    await step('sign-out returns to sign-in with a message', async () => {
      await clerk.getByRole('button', { name: 'Đăng xuất', exact: true }).click();
      await clerk.getByRole('button', { name: 'Đăng nhập', exact: true }).waitFor();
      await clerk.getByText('Bạn đã đăng xuất.').waitFor();
    });

    const admin = await newPage(browser, base);
    await step('admin sees the sync status', async () => {
      await signIn(admin, 'quan');
      await admin.getByRole('link', { name: 'Quản trị', exact: true }).waitFor();
      const st = admin.getByRole('status', { name: 'Trạng thái đồng bộ' });
      await st.filter({ hasText: /Đang kết nối|Mất kết nối|Đang đồng bộ/ }).waitFor();
      await st.filter({ hasText: /mục chờ gửi/ }).waitFor();
    });
    await step('admin imports a holiday year', async () => {
      await hashTo(admin, '#/admin/holidays');
      await admin.getByLabel('Tệp lịch nghỉ (JSON)').setInputFiles(join(here, 'fixtures/holidays-2028.json'));
      await admin.getByRole('button', { name: 'Nhập tệp lịch nghỉ', exact: true }).click();
      await admin.getByText(/Đã nhập lịch nghỉ các năm: 2028/).waitFor();
      await admin.getByRole('cell', { name: '03/04/2028' }).waitFor();
      await screen(admin, 'admin-holidays');
    });
    await step('admin unlocks a user slowed down by failed logins', async () => {
      for (let i = 0; i < 6; i++)
        await fetch(base + '/api/v1/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'binh', password: 'sai-' + i }) });
      await hashTo(admin, '#/admin/users');
      await admin.getByRole('cell', { name: 'binh', exact: true }).waitFor();
      await screen(admin, 'admin-users');
      await admin.getByRole('button', { name: 'Mở khóa đăng nhập binh', exact: true }).click();
      await admin.getByText('Mở khóa đăng nhập: binh — xong.').waitFor();
      const r = await fetch(base + '/api/v1/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'binh', password: PASSWORD }) });
      if (r.status !== 200 && r.status !== 201) fail('binh still cannot sign in after the unlock: HTTP ' + r.status);
    });
    await step('admin screens', async () => {
      for (const tab of ['catalogue', 'points', 'sync-log', 'conflicts', 'reports']) {
        await hashTo(admin, '#/admin/' + tab);
        await admin.getByRole('navigation', { name: 'Quản trị' }).waitFor();
        await admin.waitForTimeout(150);
        await screen(admin, 'admin-' + tab);
      }
    });
    await step('the hub\'s admin sees its points and their sync sessions in Vietnamese', async () => {
      const hub = await startHub(join(dir, 'hub'), join(dir, 'xa-tan-phuc'));
      hubChild = hub.child;
      const page = await newPage(browser, hub.base);
      await signIn(page, 'quan');
      await hashTo(page, '#/admin/points');
      await page.getByRole('cell', { name: 'UBND xã Tân Phúc', exact: true }).waitFor();
      // A machine name with spaces and marks is refused at Tên điểm, which says what it takes.
      const pname = page.getByRole('textbox', { name: 'Tên điểm', exact: true });
      await pname.fill('xã Ân Thi');
      await page.getByRole('textbox', { name: 'Địa bàn', exact: true }).fill('an-thi');
      await page.getByRole('textbox', { name: 'Mã cơ quan tiếp nhận', exact: true }).fill('000.00.01.H22');
      await page.getByRole('button', { name: 'Tạo mã ghi danh', exact: true }).click();
      await page.locator('[aria-invalid="true"]').first().waitFor();
      if ((await pname.getAttribute('aria-invalid')) !== 'true') fail('Tên điểm is not marked aria-invalid');
      const pdesc = (await pname.getAttribute('aria-describedby')).split(' ');
      if (!pdesc.length || !/không dấu/.test(await page.locator('#' + pdesc[0]).innerText())) fail('Tên điểm has no hint of what it takes');
      const perr = await page.locator('#' + pdesc[pdesc.length - 1]).innerText();
      if (!/[ạảãáàâăđêôơư]/i.test(perr)) fail('no Vietnamese message for the point name: ' + perr);
      await screen(page, 'hub-points');
      // Corrected, the point is registered and its one-time code shown (it stays pending: nobody joins).
      await pname.fill('buu-dien-an-thi');
      await page.getByRole('button', { name: 'Tạo mã ghi danh', exact: true }).click();
      await page.getByText('Mã ghi danh của buu-dien-an-thi', { exact: false }).waitFor();
      await hashTo(page, '#/admin/sync-log');
      const sessions = page.getByRole('table', { name: 'Phiên đồng bộ' });
      for (const h of ['Điểm', 'Bắt đầu', 'Kết quả', 'Mục gửi lên / nhận về'])
        await sessions.getByRole('columnheader', { name: h, exact: true }).waitFor();
      await sessions.getByRole('row').filter({ hasText: 'xa-tan-phuc' }).getByRole('cell', { name: 'Thành công', exact: true }).first().waitFor();
      // Each point by its place name, with the machine name the logs use.
      await sessions.getByRole('cell', { name: 'UBND xã Tân Phúc (xa-tan-phuc)', exact: true }).first().waitFor();
      await screen(page, 'hub-sync-log');
      // The hub syncs with nobody: its status says what it is, with no Đồng bộ ngay.
      const bar = page.getByRole('status', { name: 'Trạng thái đồng bộ' });
      await bar.filter({ hasText: 'Máy chủ trung tâm' }).filter({ hasText: '1 điểm phục vụ' }).waitFor();
      if (await page.getByRole('button', { name: 'Đồng bộ ngay', exact: true }).isVisible()) fail('a hub offers Đồng bộ ngay');
      await hashTo(page, '#/sync');
      await page.getByText('Đây là máy chủ trung tâm', { exact: false }).waitFor();
      await page.getByRole('definition').filter({ hasText: /^1$/ }).first().waitFor();
      await page.locator('dl.facts dt:text-is("Điểm đã có mã ghi danh, chưa ghi danh") + dd').filter({ hasText: /^1$/ }).waitFor();
      await screen(page, 'hub-sync');
      await page.context().close();
    });
    await step('a joined point\'s clerk syncs from the Đồng bộ page and reads what went each way', async () => {
      // The point the hub step enrolled, now served with a clerk; a dossier
      // taken in through the API waits to go up.
      const pointDir = join(dir, 'xa-tan-phuc');
      run(['user', 'add', 'lan', '--role', 'clerk', '--full-name', 'Nguyễn Thị Lan', '--data-dir', pointDir], PASSWORD + '\n');
      run(['config', 'set', 'sync_interval_s', '3600', '--data-dir', pointDir]);  // after the start, only the button syncs
      const point = await serve(pointDir);
      pointChild = point.child;
      const signin = await fetch(point.base + '/api/v1/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'lan', password: PASSWORD }) });
      const { token } = await signin.json();
      // The background sync runs once at start: wait for it to be done.
      for (let i = 0; ; i++) {
        const st = await (await fetch(point.base + '/api/v1/sync/status', { headers: { Authorization: 'Bearer ' + token } })).json();
        if (st.next_attempt && !st.running) break;
        if (i > 100) fail('the joined point\'s first background sync did not end: ' + JSON.stringify(st));
        await new Promise((r) => setTimeout(r, 100));
      }
      const one = (name) => ({ name, originals: 1, copies: 0 });
      const made = await fetch(point.base + '/api/v1/dossiers', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
        body: JSON.stringify({ procedure_code: '1.001193', channel: 'counter', form: { child_name: 'Trần Văn Cường' }, attachments: [],
          applicant: { full_name: 'Trần Thị Mai', cccd: '001099012346', phone: '0912345679', address: 'Thôn Tây, xã Tân Phúc' },
          documents: [one('Tờ khai đăng ký khai sinh theo mẫu'), one('Bản chính Giấy chứng sinh (không có thì văn bản của người làm chứng hoặc giấy cam đoan về việc sinh)'), one('Giấy tờ tùy thân của người đi đăng ký (xuất trình)')] }),
      });
      if (made.status !== 201) fail(`intake at the joined point answered ${made.status}: ${await made.text()}`);
      const page = await newPage(browser, point.base);
      await signIn(page, 'lan');
      await hashTo(page, '#/sync');
      await page.getByRole('button', { name: 'Đồng bộ với máy chủ tỉnh', exact: true }).click();
      const said = page.getByRole('status').filter({ hasText: 'Đồng bộ xong' });
      await said.waitFor();
      const text = (await said.textContent()).trim();
      if (!/^Đồng bộ xong: gửi 1, nhận \d+ mục\.$/.test(text)) fail(`the sync result reads "${text}", expected the one entry sent`);
      // What waits is read again, on the page and in the bar.
      await page.locator('dl.facts dt:text-is("Mục chờ gửi") + dd').filter({ hasText: /^0$/ }).waitFor();
      await page.getByRole('status', { name: 'Trạng thái đồng bộ' }).filter({ hasText: '0 mục chờ gửi' }).waitFor();
      await screen(page, 'point-synced');
      await page.context().close();
    });
    await step('reports start from this month in Vietnam, whatever the browser\'s time zone', async () => {
      // 21:00 on 31 December in Paris (this browser's zone) is already 1 January 2027 in Hà Nội.
      const late = await newPage(browser, base);
      await late.clock.setFixedTime(new Date('2026-12-31T20:00:00Z'));
      await signIn(late, 'quan');
      await hashTo(late, '#/admin/reports');
      const from = await late.getByRole('textbox', { name: 'Từ ngày', exact: true }).inputValue();
      const to = await late.getByRole('textbox', { name: 'Đến ngày', exact: true }).inputValue();
      if (from !== '01/01/2027' || to !== '01/01/2027') fail(`report period ${from}–${to}, expected 01/01/2027–01/01/2027`);
      await late.context().close();
    });
  } finally {
    await browser.close();
    for (const c of [child, hubChild, pointChild].filter(Boolean)) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  log(`browser stage took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const [s, n, d] of results) console.log(`${s.padEnd(4)} ${n}${d ? ' — ' + d : ''}`);
  if (unmatched) problems.push(`the daemons answered ${unmatched} request(s) for paths no route has (route=unmatched status=404 in their log)`);
  for (const p of problems) console.log('PROBLEM ' + p);
  const failed = results.filter(([s]) => s === 'FAIL').length + problems.length;
  console.log(failed ? `browser tests: ${failed} failure(s)` : 'browser tests: all passed');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
