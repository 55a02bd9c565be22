// A phone is a real client: every main page at 390 px, in Spanish and in English, fits the
// screen (nothing scrolls sideways: wide tables scroll inside their own box), and the header
// is one line with a menu (details/summary, no script). Started by tests/e2e/phone_browser.rs
// with RUMBO_URL, RUMBO_EMAIL and RUMBO_PASSWORD set (the demo manager).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const base = process.env.RUMBO_URL;
const email = process.env.RUMBO_EMAIL;
const password = process.env.RUMBO_PASSWORD;
const shots = process.env.RUMBO_SCREENSHOTS; // optional folder for screenshots
assert.ok(base && email && password, 'RUMBO_URL, RUMBO_EMAIL and RUMBO_PASSWORD are required');

const PAGES = [
  '/', '/programs', '/planning', '/planning/staffing', '/control', '/reports', '/account', '/admin',
  '/programs/VIDA-2026', '/programs/VIDA-2026/plan', '/programs/VIDA-2026/control',
  '/programs/VIDA-2026/control?by=day&from=2026-04-01&to=2026-04-30',
  '/programs/VIDA-2026/imports', '/programs/VIDA-2026/alarms', '/programs/VIDA-2026/actions',
  '/programs/VIDA-2026/mappings', '/programs/VIDA-2026/plan/risks/new',
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
});
const step = async (name, fn) => {
  try { await fn(); console.log(`ok - ${name}`); }
  catch (e) { console.log(`not ok - ${name}`); throw e; }
};
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  const shot = async (name) => { if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); };

  await step('the demo manager logs in on a phone', async () => {
    await page.goto(base + '/login');
    await page.getByLabel('Correo electrónico').fill(email);
    await page.getByLabel('Contraseña').fill(password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(/\/$/);
  });

  const visitAll = async (lang) => {
    const wide = [];
    for (const path of PAGES) {
      const res = await page.goto(base + path);
      assert.equal(res.status(), 200, `${path} (${lang})`);
      const m = await page.evaluate(() => ({
        scroll: document.scrollingElement.scrollWidth,
        width: window.innerWidth,
        header: document.querySelector('header.top').getBoundingClientRect().height,
      }));
      if (m.scroll > m.width) wide.push(`${path}: ${m.scroll} px > ${m.width} px`);
      assert.ok(m.header <= 64, `${path} (${lang}): the header takes ${m.header} px (more than one line)`);
      await shot(`phone-${lang}${path.replace(/[/?=&]/g, '_')}`);
    }
    assert.deepEqual(wide, [], `pages wider than the phone (${lang}):\n${wide.join('\n')}`);
  };

  await step('every main page fits 390 px in Spanish', () => visitAll('es'));

  await step('the menu opens without script and switches to English, back on the same page', async () => {
    await page.goto(base + '/programs/VIDA-2026/plan');
    await page.getByText('Menú').click();
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('button', { name: 'Cambiar' }).click();
    await page.waitForURL(/\/programs\/VIDA-2026\/plan$/);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
  });

  await step('every main page fits 390 px in English', () => visitAll('en'));
  console.log('all steps passed');
} finally {
  await browser.close();
}
