// Plan flows in headless Chromium: the demo programme's plan with its Gantt chart and
// risk heat-map, a risk refused then saved, an activity added, and a change request approved
// into a new plan version. Started by tests/e2e/plan_browser.rs with RUMBO_URL, RUMBO_EMAIL and
// RUMBO_PASSWORD set (the demo manager).
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
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shot = async (name) => { if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); };

  await step('the demo manager logs in', async () => {
    await page.goto(base + '/login');
    await page.getByLabel('Correo electrónico').fill(email);
    await page.getByLabel('Contraseña').fill(password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(/\/$/);
  });

  await step('the plan shows objectives, the Gantt chart with its critical path and the heat-map', async () => {
    await page.goto(base + '/programs/VIDA-2026/plan');
    await page.getByRole('heading', { name: 'Plan del programa VIDA-2026' }).waitFor();
    await page.getByText('Vender 7.200 pólizas de Vida Protección Familiar').first().waitFor();
    await page.getByRole('img', { name: 'Carta Gantt de VIDA-2026' }).waitFor();
    await page.getByRole('img', { name: 'Mapa de calor de riesgos activos' }).waitFor();
    assert.ok(await page.locator('g.activity.critical').count() > 5);
    await page.getByText(/Ruta crítica: A01/).waitFor();
    await shot('plan-es');
  });

  await step('a risk with probability 7 is refused with a localised message', async () => {
    await page.getByRole('link', { name: 'Nuevo riesgo' }).click();
    await page.getByLabel('Causa').fill('Licitación del cliente');
    await page.getByLabel('Evento').fill('El cliente reduce la base asignada');
    await page.getByLabel('Efecto').fill('Menos ventas posibles');
    await page.getByLabel('Probabilidad (1 a 5)').fill('7');
    await page.getByLabel('Impacto (1 a 5)').fill('4');
    await page.getByLabel('Fecha de revisión').fill('2026-12-15');
    await page.getByLabel('Responsable').selectOption({ label: 'Carolina Muñoz' });
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.getByText('La probabilidad va de 1 a 5.').first().waitFor();
    assert.equal(await page.getByLabel('Causa').inputValue(), 'Licitación del cliente');
  });

  await step('a valid risk is saved and listed', async () => {
    await page.getByLabel('Probabilidad (1 a 5)').fill('3');
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.waitForURL(/\/programs\/VIDA-2026\/plan/);
    await page.getByRole('cell', { name: 'El cliente reduce la base asignada' }).first().waitFor();
  });

  await step('an activity is added to the work plan', async () => {
    await page.getByRole('link', { name: 'Nueva actividad' }).click();
    await page.getByLabel(/^Código/).fill('A21');
    await page.getByLabel(/^Nombre/).fill('Encuesta de satisfacción a clientes');
    await page.getByLabel('Duración (días)').fill('4');
    await page.locator('[name="dependencies.0.predecessor"]').selectOption('A19');
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.waitForURL(/\/programs\/VIDA-2026\/plan/);
    await page.getByRole('cell', { name: /Encuesta de satisfacción/ }).first().waitFor();
  });

  await step('approving the proposed change request adds plan version 3', async () => {
    await page.getByRole('button', { name: 'Aprobar' }).first().click();
    await page.waitForURL(/\/programs\/VIDA-2026\/plan/);
    await page.getByText('Versión 3 (1 cambio(s))').waitFor();
    await page.getByText('Versión 2 (1 cambio(s))').waitFor();
    await shot('plan-versions-es');
  });
} finally {
  await browser.close();
}
console.log('browser plan: all steps passed');
