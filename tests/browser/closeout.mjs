// Close-out and lessons in headless Chromium, in Spanish: the demo manager closes VIDA-2026,
// finds it read-only, completes and signs the evaluation, records two lessons (one refused
// first, keeping the input), promotes one to a best practice, finds it by a Spanish word with
// and without accents (and in English), and sees it suggested when creating a new programme for
// the same client and channel. Started by tests/e2e/closeout_browser.rs with RUMBO_URL,
// RUMBO_EMAIL and RUMBO_PASSWORD set (the demo manager).
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
const code = 'VIDA-2026';
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

  await step('closing the programme starts its evaluation, prefilled from the data', async () => {
    await page.goto(`${base}/programs/${code}`);
    await page.getByRole('link', { name: 'Cierre y evaluación' }).click();
    await page.getByRole('button', { name: 'Cerrar programa' }).click();
    await page.waitForURL(new RegExp(`/programs/${code}/closeout$`));
    await page.getByText('Programa cerrado: es de solo lectura hasta que su jefatura lo reabra.').first().waitFor();
    await page.getByRole('heading', { name: 'Objetivos y metas' }).waitFor();
    await page.getByRole('heading', { name: 'Calidad de servicio' }).waitFor();
    await page.getByRole('heading', { name: 'Recursos y presupuesto' }).waitFor();
    await page.getByRole('cell', { name: 'Nivel de servicio' }).first().waitFor();
    await shot('closeout-es');
  });

  await step('the closed programme is read-only: no edit button, plan changes refused', async () => {
    await page.goto(`${base}/programs/${code}`);
    assert.equal(await page.getByRole('link', { name: 'Editar' }).count(), 0);
    await page.goto(`${base}/programs/${code}/plan`);
    assert.equal(await page.getByRole('link', { name: 'Nuevo riesgo' }).count(), 0);
  });

  await step('an evaluation without verdict is refused and keeps the text; then it is signed', async () => {
    await page.goto(`${base}/programs/${code}/closeout`);
    await page.getByLabel('Evaluación general').fill('Conversión sobre la meta; abandono alto en diciembre.');
    await page.getByRole('button', { name: 'Firmar evaluación' }).click();
    await page.getByText('Elija un dictamen.').first().waitFor();
    assert.equal(await page.getByLabel('Evaluación general').inputValue(),
      'Conversión sobre la meta; abandono alto en diciembre.');
    await page.getByLabel('Comentario sobre plazos').fill('Cierre en la fecha planificada.');
    await page.getByLabel('Dictamen').selectOption('partly_met');
    await page.getByRole('button', { name: 'Firmar evaluación' }).click();
    await page.waitForURL(new RegExp(`/programs/${code}/closeout$`));
    await page.getByText(/Evaluación firmada \(versión 1\) por jefa@demo\.rumbo\.cl/).waitFor();
    await page.getByText('Objetivos cumplidos en parte').waitFor();
    await shot('closeout-signed-es');
  });

  const lesson = async (title, summary, factors, kind) => {
    await page.getByLabel('Título').fill(title);
    await page.getByLabel('Tipo').selectOption(kind);
    await page.getByLabel('Qué pasó').fill(summary);
    await page.getByLabel('Factores de éxito o fracaso (uno por línea)').fill(factors);
    await page.getByLabel('Canal').selectOption('voice_outbound');
    await page.getByLabel('Etiquetas (separadas por comas)').fill('ventas, capacitación');
    await page.getByRole('button', { name: 'Guardar lección' }).click();
  };

  await step('two lessons are recorded at close-out (the first refused until it has a factor)', async () => {
    await page.getByRole('link', { name: 'Registrar lecciones aprendidas' }).click();
    await lesson('Capacitación en objeciones antes del lanzamiento',
      'Los ejecutivos capacitados vendieron más desde la primera semana.', '', 'success');
    await page.getByText('Indique al menos un factor.').first().waitFor();
    assert.equal(await page.getByLabel('Título').inputValue(), 'Capacitación en objeciones antes del lanzamiento');
    await page.getByLabel('Factores de éxito o fracaso (uno por línea)').fill('Tres días de capacitación\nGuion con objeciones reales');
    await page.getByLabel('Evidencia: cifras (una por línea)').fill('Conversión 6,4 % contra meta 6 %');
    await page.getByRole('button', { name: 'Guardar lección' }).click();
    await page.waitForURL(new RegExp(`/programs/${code}/lessons$`));
    await lesson('Dotación corta en diciembre', 'El abandono subió por falta de ejecutivos en vacaciones.',
      'Vacaciones sin reemplazo', 'failure');
    await page.waitForURL(new RegExp(`/programs/${code}/lessons$`));
    await page.getByRole('heading', { name: 'Dotación corta en diciembre' }).waitFor();
    await page.getByRole('heading', { name: 'Capacitación en objeciones antes del lanzamiento' }).waitFor();
    await shot('lessons-es');
  });

  await step('a lesson is promoted to a best practice', async () => {
    await page.getByRole('button', { name: 'Convertir en buena práctica: Capacitación en objeciones antes del lanzamiento' }).click();
    await page.waitForURL(/\/practices\/\d+$/);
    await page.getByRole('heading', { name: 'Adopción por equipo' }).waitFor();
    await page.getByLabel('Equipo').fill('Equipo Vida 2');
    await page.getByLabel('Desde').fill('2026-12-01');
    await page.getByLabel('Resultado obtenido').fill('Conversión +0,9 puntos en el primer mes');
    await page.getByRole('button', { name: 'Guardar adopción' }).click();
    await page.getByRole('cell', { name: 'Equipo Vida 2' }).waitFor();
  });

  for (const q of ['capacitacion objeciones', 'Capacitación', 'CAPACITACIÓN']) {
    await step(`the library finds the practice by "${q}"`, async () => {
      await page.goto(`${base}/library`);
      await page.getByLabel('Buscar en lecciones y prácticas').fill(q);
      await page.getByRole('button', { name: 'Buscar', exact: true }).click();
      await page.getByRole('link', { name: 'Capacitación en objeciones antes del lanzamiento' }).waitFor();
      await page.getByText(/resultados para/).waitFor();
    });
  }
  await shot('library-es');

  await step('a new programme of the same client and channel is offered the practice', async () => {
    await page.goto(`${base}/programs/new`);
    await page.getByLabel('Código').fill('VIDA-2028');
    await page.getByLabel('Nombre').fill('Venta Seguro de Vida 2028');
    const insurer = await page.locator('#client_id option', { hasText: 'Los Andes Seguros de Vida' }).getAttribute('value');
    await page.getByLabel('Cliente').selectOption(insurer);
    await page.getByLabel('Voz entrante').uncheck();
    await page.getByLabel('Voz saliente').check();
    await page.getByLabel('Fecha de inicio').fill('2028-01-03');
    await page.getByLabel('Fecha de término').fill('2028-12-29');
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.waitForURL(/\/programs\/VIDA-2028$/);
    await page.getByRole('heading', { name: 'Prácticas y lecciones sugeridas' }).waitFor();
    await page.getByRole('link', { name: 'Capacitación en objeciones antes del lanzamiento' }).waitFor();
    await shot('suggested-es');
  });

  await step('in English the search finds it too', async () => {
    await page.goto(`${base}/library`);
    // The language switch sits in the header's menu (closed until opened).
    await page.locator('details.menu > summary').click();
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('button', { name: 'Cambiar' }).click();
    await page.waitForLoadState();
    await page.goto(`${base}/library`);
    await page.getByRole('heading', { name: 'Best-practice library' }).waitFor();
    await page.getByLabel('Search lessons and practices').fill('capacitacion');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(/results for/).waitFor();
    await page.getByRole('link', { name: 'Capacitación en objeciones antes del lanzamiento' }).waitFor();
    await shot('library-en');
  });

  await step('the manager reopens the programme and may edit it again', async () => {
    await page.goto(`${base}/programs/${code}/closeout`);
    await page.getByRole('button', { name: 'Reopen programme' }).click();
    await page.waitForURL(new RegExp(`/programs/${code}$`));
    await page.getByRole('link', { name: 'Edit' }).first().waitFor();
  });
} finally {
  await browser.close();
}
console.log('browser closeout: all steps passed');
