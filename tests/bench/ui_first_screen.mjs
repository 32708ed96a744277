// ui_first_screen: how soon the web UI is usable after sign-in, in Debian's
// Chromium (headless) on loopback, against a point holding many dossiers.
// Run by hand, after the browser tests' packages are installed
// (deploy/browser-test.sh does `npm ci` in tests/browser):
//
//   build/tests/bench/ui_bench --dossiers 50000 --dir /tmp/ui50k --keep
//   node tests/bench/ui_first_screen.mjs /tmp/ui50k [build/motcua] [runs]
//
// For each run (a fresh browser context, so nothing cached): the sign-in
// page's load event, then from pressing Enter on the password to the first
// screen's load of data (navigation, heading and the sync status shown), and
// the dossier list's first page rendered. Prints p50 / p95 / max.
// Target (issue 9): the first screen after sign-in usable in <= 500 ms.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../browser/package.json'));
const { chromium } = require('playwright-core');

const dir = process.argv[2];
const bin = process.argv[3] || join(here, '../../build/motcua');
const runs = Number(process.argv[4] || 20);
if (!dir) { console.error('usage: ui_first_screen.mjs DATA_DIR [MOTCUA] [RUNS]'); process.exit(2); }

const port = 18000 + Math.floor(Math.random() * 2000);
const base = `http://127.0.0.1:${port}`;
const child = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
for (let i = 0; ; i++) {
  try { if ((await fetch(base + '/healthz')).ok) break; } catch { /* not yet */ }
  if (i > 200) { console.error('the daemon did not start'); child.kill(); process.exit(1); }
  await new Promise((r) => setTimeout(r, 50));
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu'] });
const load = [], first = [], list = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto('/', { waitUntil: 'load' });
    load.push(await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return n.loadEventEnd - n.startTime;
    }));
    await page.getByRole('textbox', { name: 'Tên đăng nhập', exact: true }).fill('clerk1');
    await page.getByRole('textbox', { name: 'Mật khẩu', exact: true }).fill('clerk1-password');
    const t0 = performance.now();
    await page.getByRole('textbox', { name: 'Mật khẩu', exact: true }).press('Enter');
    await page.getByRole('navigation', { name: 'Chức năng' }).waitFor();
    await page.locator('main h1').first().waitFor();
    await page.getByRole('status', { name: 'Trạng thái đồng bộ' }).filter({ hasText: /Đang kết nối|Mất kết nối|Đang đồng bộ/ }).waitFor();
    first.push(performance.now() - t0);
    const t1 = performance.now();
    await page.getByRole('link', { name: 'Danh sách hồ sơ', exact: true }).click();
    await page.locator('main table tbody tr').first().waitFor();
    list.push(performance.now() - t1);
    await context.close();
  }
} finally {
  await browser.close();
  child.kill('SIGTERM');
}

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };
const row = (name, a) => console.log(`| ${name.padEnd(44)} | ${pct(a, 0.5).toFixed(0).padStart(5)} | ${pct(a, 0.95).toFixed(0).padStart(5)} | ${Math.max(...a).toFixed(0).padStart(5)} |`);
console.log(`${runs} runs, ${dir}`);
console.log('| what (ms)                                    |   p50 |   p95 |   max |');
console.log('|----------------------------------------------|-------|-------|-------|');
row('sign-in page: load event', load);
row('Enter -> first screen usable (nav, h1, sync)', first);
row('dossier list: first page rendered', list);
const ok = pct(first, 0.95) <= 500;
console.log(`target first screen <= 500 ms (p95): ${ok ? 'met' : 'MISSED'}`);
