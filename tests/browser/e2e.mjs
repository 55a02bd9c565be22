// End-to-end test in headless Chromium: log in, switch language, create a programme, find it in
// the list; the control loop from the cockpit: alarm → action with options → approval →
// effectiveness, in English and Spanish. Started by tests/e2e/browser.rs with RUMBO_URL, RUMBO_EMAIL and RUMBO_PASSWORD set.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const base = process.env.RUMBO_URL;
const email = process.env.RUMBO_EMAIL;
const password = process.env.RUMBO_PASSWORD;
const shots = process.env.RUMBO_SCREENSHOTS; // optional folder for screenshots
assert.ok(base && email && password, 'RUMBO_URL, RUMBO_EMAIL and RUMBO_PASSWORD are required');

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
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shot = async (name) => { if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); };

  await step('anonymous visitors land on the Spanish login page', async () => {
    await page.goto(base + '/');
    assert.match(page.url(), /\/login$/);
    assert.equal(await page.getAttribute('html', 'lang'), 'es-CL');
    await page.getByRole('heading', { name: 'Iniciar sesión' }).waitFor();
  });

  await step('a wrong password is refused with a message', async () => {
    await page.getByLabel('Correo electrónico').fill(email);
    await page.getByLabel('Contraseña').fill('not-the-password');
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.getByText('Correo o contraseña incorrectos.').waitFor();
  });

  await step('logging in shows the cockpit, and the programme list is one click away', async () => {
    await page.getByLabel('Correo electrónico').fill(email);
    await page.getByLabel('Contraseña').fill(password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(/\/$/);
    await page.getByRole('heading', { name: 'Cabina de control' }).waitFor();
    await page.goto(base + '/programs');
    await page.getByRole('heading', { name: 'Programas' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Planificación' }).waitFor();
    await shot('programmes-es');
  });

  await step('switching to English translates the interface', async () => {
    await page.locator('details.menu > summary').click();
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('button', { name: 'Cambiar' }).click();
    await page.getByRole('heading', { name: 'Programmes' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.getByRole('navigation').getByRole('link', { name: 'Reports' }).waitFor();
  });

  await step('an invalid programme shows localised errors and keeps the input', async () => {
    await page.getByRole('link', { name: 'New programme' }).click();
    await page.getByLabel('Code').fill('E2E-1');
    await page.getByLabel('Name').fill('Browser-made programme');
    await page.getByLabel('Client').selectOption({ index: 1 });
    await page.getByLabel('Start date').fill('2026-05-01');
    await page.getByLabel('End date').fill('2026-04-01');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The end date cannot be before the start date.').first().waitFor();
    assert.equal(await page.getByLabel('Code').inputValue(), 'E2E-1');
    await shot('programme-form-error-en');
  });

  await step('a valid programme is created and shown with its history', async () => {
    await page.getByLabel('End date').fill('2026-12-31');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/programs\/E2E-1$/);
    await page.getByRole('heading', { name: /E2E-1/ }).waitFor();
    await page.getByRole('heading', { name: 'Change history' }).waitFor();
    await shot('programme-en');
  });

  await step('the new programme appears in the list', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Programmes' }).click();
    await page.getByRole('link', { name: 'E2E-1' }).waitFor();
  });

  await step('the demo programme shows imported KPIs with charts on its Control page', async () => {
    await page.goto(base + '/programs/RET-TC-2026/control');
    await page.getByRole('heading', { name: /KPIs · RET-TC-2026/ }).waitFor();
    await page.getByRole('cell', { name: 'retencion' }).first().waitFor();
    assert.ok(await page.locator('figure svg').count() >= 2, 'SL and volume charts');
    await page.getByRole('link', { name: 'Imports' }).click();
    await page.getByRole('heading', { name: 'Imported batches' }).waitFor();
    await shot('control-en');
  });

  await step('the cockpit shows the demo alarms; an alarm leads to a corrective action with costed options', async () => {
    await page.goto(base + '/');
    await page.getByRole('heading', { name: 'Cockpit' }).waitFor();
    const card = page.locator('#p-RET-TC-2026');
    await card.getByRole('link', { name: 'Target breached' }).first().click();
    await page.getByRole('link', { name: 'See the evidence' }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText(/acknowledged by/).waitFor();
    await shot('alarm-en');
    await page.getByRole('link', { name: 'New corrective action' }).click();
    await page.getByLabel('Cause analysis').fill('Short staffing at the midday peak');
    await page.getByLabel('Action', { exact: true }).fill('Two more agents at midday');
    await page.getByLabel('Due date').fill('2026-12-15');
    for (const [i, n] of [[1, '1'], [2, '3']]) {
      await page.locator(`#label_${i}`).fill(`+${n}`);
      await page.locator(`#agents_${i}`).fill(n);
      await page.locator(`#from_${i}`).fill('11:00');
      await page.locator(`#to_${i}`).fill('13:00');
    }
    await page.getByRole('button', { name: 'Evaluate and save' }).click();
    await page.getByText('Options side by side: current SL → expected SL per interval').waitFor();
    await page.getByRole('rowheader', { name: 'Cost per SL point' }).waitFor();
    // Technical feasibility beside the economic one, from the line's staffing plan.
    await page.getByRole('rowheader', { name: 'Technical feasibility' }).waitFor();
    await page.getByText(/agents at the peak \(\d+ today\)/).first().waitFor();
    await page.getByText(/free of 45 on the roster/).first().waitFor();
    await shot('action-en');
  });

  await step('the action goes to approval, and approving it gives the plan a new version', async () => {
    await page.getByLabel('Kind of change').selectOption('targets');
    await page.getByLabel('Impact').fill('A realistic abandon target during the reinforcement');
    // The plan's targets are offered by name; the abandon-rate one is set to 6 %.
    const key = await page.locator('#change-keys option', { hasText: 'Abandon rate' }).first().getAttribute('value');
    assert.match(key, /^target\.\d+\.value$/);
    await page.locator('#key_1').fill(key);
    await page.locator('#value_1').fill('6');
    await page.getByRole('button', { name: 'Request approval' }).click();
    await page.getByText(/Change request #\d+ sent to the plan\./).waitFor();
    await page.getByRole('button', { name: 'Approve the request and the action' }).click();
    await page.getByText(/Approved: the plan is now at version \d+\./).waitFor();
    await shot('action-approved-en');
  });

  await step('the demo action done two weeks ago shows the effectiveness check that ran after the import', async () => {
    await page.goto(base + '/programs/RET-TC-2026/actions');
    await page.getByRole('link', { name: 'Reforzar el turno de 11:00 a 13:00' }).click();
    await page.getByRole('heading', { name: 'Effectiveness' }).waitFor();
    await page.getByText(/^Checked automatically on \d{4}-\d{2}-\d{2}, after the import with data up to /).waitFor();
    await page.getByText(/Median SL .* % before and .* % after \(8 and 8 intervals/).waitFor();
    await shot('action-effect-en');
    await page.goto(base + '/programs');
  });

  await step('switching back to Spanish persists for the user', async () => {
    const here = new URL(page.url()).pathname;
    await page.locator('details.menu > summary').click();
    await page.getByLabel('Language').selectOption('es');
    await page.getByRole('button', { name: 'Change' }).click();
    // The switch returns to the same page, now in Spanish.
    await page.waitForFunction(() => document.documentElement.lang === 'es-CL');
    assert.equal(new URL(page.url()).pathname, here);
    await page.goto(base + '/programs');
    await page.getByRole('heading', { name: 'Programas' }).waitFor();
  });

  await step('in Spanish the demo action shows its verdict and when the check ran', async () => {
    await page.goto(base + '/programs/RET-TC-2026/actions');
    await page.getByRole('link', { name: 'Reforzar el turno de 11:00 a 13:00' }).click();
    await page.getByRole('heading', { name: 'Efectividad' }).waitFor();
    await page.getByText(/^Verificación automática del \d{2}-\d{2}-\d{4}, después de la importación con datos hasta el /).waitFor();
    await page.getByText(/NS mediano .* % antes y .* % después/).waitFor();
    await shot('action-effect-es');
    await page.goto(base + '/programs');
  });

  await step('logging out returns to the login page', async () => {
    await page.locator('details.menu > summary').click();
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await page.waitForURL(/\/login$/);
  });
} finally {
  await browser.close();
}
console.log('browser e2e: all steps passed');
