// The wallboard in headless Chromium: the demo manager opens VIDA-2026's live page while a
// `rumbo watch queue-log` follows QUEUE_LOG; lines appended here appear on the page without a
// reload (server-sent events); the page in English; TV mode at 1920×1080 fits the screen with
// figures large enough to read from across a room. Started by tests/e2e/live_browser.rs with
// RUMBO_URL, RUMBO_EMAIL, RUMBO_PASSWORD and QUEUE_LOG set.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';

const base = process.env.RUMBO_URL;
const email = process.env.RUMBO_EMAIL;
const password = process.env.RUMBO_PASSWORD;
const log = process.env.QUEUE_LOG;
const shots = process.env.RUMBO_SCREENSHOTS; // optional folder for screenshots
assert.ok(base && email && password && log, 'RUMBO_URL, RUMBO_EMAIL, RUMBO_PASSWORD and QUEUE_LOG are required');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
});
const step = async (name, fn) => {
  try { await fn(); console.log(`ok - ${name}`); }
  catch (e) { console.log(`not ok - ${name}`); throw e; }
};
const now = () => Math.floor(Date.now() / 1000);
const append = (line) => appendFileSync(log, line + '\n');
const fig = (page, name) => page.locator(`section[data-queue="ventas"] [data-fig="${name}"]`).first();

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shot = async (p, name) => { if (shots) await p.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); };

  await step('the demo manager logs in', async () => {
    await page.goto(base + '/login');
    await page.getByLabel('Correo electrónico').fill(email);
    await page.getByLabel('Contraseña').fill(password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(/\/$/);
  });

  await step('the wallboard shows the waiting caller in Spanish', async () => {
    await page.goto(base + '/programs/VIDA-2026/live');
    await page.getByRole('heading', { name: 'En vivo · VIDA-2026' }).waitFor();
    await fig(page, 'waiting').getByText('1', { exact: true }).waitFor({ timeout: 10000 });
    await page.getByText('Bajo el límite').first().waitFor();
    await page.getByText('Llamadas abandonadas hoy (para devolver)').waitFor();
    await shot(page, 'live-es');
  });

  await step('an answer appended to the queue_log shows without a reload', async () => {
    const marker = await page.evaluate(() => { window.__noReload = 1; return 1; });
    assert.equal(marker, 1);
    append(`${now()}|w1|ventas|Ana|CONNECT|12|w1.1|1`);
    await fig(page, 'answered').getByText('1', { exact: true }).waitFor({ timeout: 5000 });
    await fig(page, 'waiting').getByText('0', { exact: true }).waitFor({ timeout: 5000 });
    assert.equal(await page.evaluate(() => window.__noReload), 1, 'the page was not reloaded');
  });

  await step('an abandon appears in the callback list with a masked number', async () => {
    append(`${now()}|w2|ventas|NONE|ENTERQUEUE||+56987651234|1`);
    append(`${now()}|w2|ventas|NONE|ABANDON|1|1|25`);
    await page.getByRole('cell', { name: '***** 1234' }).waitFor({ timeout: 5000 });
  });

  await step('the page in English', async () => {
    // The language switch sits in the header's menu (closed until opened).
    await page.locator('details.menu > summary').click();
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('button', { name: 'Cambiar' }).click();
    await page.goto(base + '/programs/VIDA-2026/live');
    await page.getByRole('heading', { name: 'Live · VIDA-2026' }).waitFor();
    await page.getByText('Calls abandoned today (to call back)').waitFor();
    await page.getByText('Under the limit').first().waitFor();
    await shot(page, 'live-en');
  });

  await step('TV mode at 1920×1080 fits the screen with large figures, in both languages', async () => {
    for (const [lang, title] of [['en', 'Live'], ['es', 'En vivo']]) {
      const tv = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      await tv.context().addCookies(await page.context().cookies());
      await tv.goto(base + '/programs/VIDA-2026/live?tv=1');
      await tv.getByRole('heading', { name: new RegExp(title + '$') }).waitFor();
      const width = await tv.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 1920, `no horizontal scroll (${width})`);
      // Read in one go: the script may replace the board between two calls.
      const size = await tv.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.fig .big')).fontSize));
      assert.ok(size >= 48, `figures are large (${size}px)`);
      await shot(tv, `live-tv-${lang}`);
      await tv.close();
      if (lang === 'en') {
        // The language switch sits in the header's menu (closed until opened).
        await page.locator('details.menu > summary').click();
        await page.getByLabel('Language').selectOption('es');
        await page.getByRole('button', { name: 'Change' }).click();
      }
    }
  });
  console.log('all steps passed');
} finally {
  await browser.close();
}
