// A whole programme built from nothing with pages only, in headless Chromium: client, person,
// programme, objective with a KPI target, stage with its gate, milestone, risk, budget line and
// a monthly amount, activities with dependencies, a role with competencies and languages, the
// RACI matrix, a meeting with decisions and an action item, a diffusion activity, a change
// request commented and approved into plan version 2; then items are edited, closed and
// deleted. It runs in Spanish at 1280 px, then again in English at 390 px, where no page may
// be wider than the viewport. Started by tests/e2e/planforms_browser.rs with RUMBO_URL,
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

const TEXT = {
  es: { added: 'Se agregó', saved: 'Se guardaron los cambios', deleted: 'Se eliminó',
        approved: 'Solicitud de cambio aprobada', commented: 'Comentario agregado',
        version2: 'Versión 2', critical: /Ruta crítica/, closed: 'Cerrado', met: 'Cumplido',
        late: 'Atrasos del plan', required: 'Indique', confirm: 'Sí, eliminar' },
  en: { added: 'Added', saved: 'Changes saved', deleted: 'Deleted',
        approved: 'Change request approved', commented: 'Comment added',
        version2: 'Version 2', critical: /Critical path/, closed: 'Closed', met: 'Met',
        late: 'What is late in the plan', required: 'Enter', confirm: 'Yes, delete' },
};

async function run({ lang, width, code, rut }) {
  const T = TEXT[lang];
  const who = `Paula Reyes ${lang.toUpperCase()}`;
  const client = `Seguros Andinos ${lang.toUpperCase()}`;
  const objective = lang === 'es' ? 'Atender con calidad' : 'Serve with quality';
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const wide = [];
  let n = 0;
  const shot = async (name) => {
    if (shots) await page.screenshot({ path: `${shots}/${lang}-${String(++n).padStart(2, '0')}-${name}.png`, fullPage: true });
  };
  // No page may scroll sideways: the document is at most as wide as the viewport.
  const fits = async (what) => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > width) {
      const culprit = await page.evaluate((vw) => {
        const out = [];
        const clipped = (el) => {
          for (let p = el.parentElement; p; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX) && p !== document.documentElement && p !== document.body) return true;
          }
          return false;
        };
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.right > vw + 1 && !clipped(el) && out.length < 4) out.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(r.right)})`);
        }
        return out.join(', ');
      }, width);
      wide.push(`${what} ${page.url()}: ${w} px (${culprit})`);
    }
  };
  const step = async (name, fn) => {
    try { await fn(); console.log(`ok - [${lang} ${width}px] ${name}`); }
    catch (e) { console.log(`not ok - [${lang} ${width}px] ${name}`); await shot('failure'); throw e; }
  };
  const form = () => page.locator('form.plan-form');
  // Fills a field of the plan form by its name: selects by value or label, boxes are ticked.
  const set = async (name, value) => {
    const el = form().locator(`[name="${name}"]`).first();
    const tag = await el.evaluate((e) => `${e.tagName}:${e.type}`);
    if (tag.startsWith('SELECT')) {
      const values = await el.evaluate((e) => [...e.options].map((o) => o.value));
      await el.selectOption(values.includes(value) ? value : { label: value });
    } else if (tag.endsWith('checkbox')) {
      await el.check();
    } else {
      await el.fill(value);
    }
  };
  const tick = async (name, label) => {
    await form().locator('label.check', { hasText: label }).locator(`input[name="${name}"]`).check();
  };
  const submit = async () => { await form().locator('button[type=submit]').click(); };
  const plan = `${base}/programs/${code}/plan`;
  // From the plan page: the kind's "add" link, the form filled, saved, back on the plan with
  // the success message.
  const add = async (slug, fill) => {
    if (!page.url().startsWith(plan)) await page.goto(plan);
    await page.locator(`a[href="/programs/${code}/plan/${slug}/new"]`).first().click();
    await form().waitFor();
    await fits(`${slug} form`);
    await fill();
    await submit();
    await page.waitForURL(/done=created/);
    await page.locator('.flash', { hasText: T.added }).waitFor();
    await fits('plan');
  };
  const editOf = async (slug, text) => {
    if (!page.url().startsWith(plan)) await page.goto(plan);
    const row = page.locator(`#manage-${slug} tr`, { hasText: text });
    await row.locator(`a[href$="/edit"]`).click();
    await form().waitFor();
    await fits(`${slug} edit`);
  };

  try {
    await step('the manager logs in and picks the language', async () => {
      await page.goto(base + '/login');
      await page.locator('[name=email]').fill(email);
      await page.locator('[name=password]').fill(password);
      await page.locator('main form button[type=submit]').click();
      await page.waitForURL(/\/$/);
      // The language switch sits in the header's menu (closed until opened).
      await page.locator('details.menu > summary').click();
      await page.locator('#lang-select').selectOption(lang);
      await page.locator('form[action="/lang"] button').click();
      await page.waitForFunction((l) => document.documentElement.lang.startsWith(l), lang);
      await fits('home');
    });

    await step('a client and a person are added in administration', async () => {
      await page.goto(base + '/admin');
      await fits('admin');
      await page.locator('[name=client_name]').fill(client);
      await page.locator('[name=rut]').fill(rut);
      await page.locator('form[action="/admin/clients"] button').click();
      await page.getByRole('cell', { name: client }).waitFor();
      await page.locator('[name=person_name]').fill(who);
      await page.locator('form[action="/admin/people"] button').click();
      await page.getByRole('cell', { name: who }).waitFor();
    });

    await step('a programme is created for the client', async () => {
      await page.goto(base + '/programs/new');
      await fits('programme form');
      await page.locator('[name=code]').fill(code);
      await page.locator('[name=name]').fill(lang === 'es' ? 'Venta de seguros de hogar' : 'Home insurance sales');
      const value = await page.locator('[name=client_id] option', { hasText: client }).getAttribute('value');
      await page.locator('[name=client_id]').selectOption(value);
      await page.locator('[name=start_date]').fill('2026-01-05');
      await page.locator('[name=end_date]').fill('2026-12-31');
      await page.locator('main form button[type=submit]').click();
      await page.waitForURL(new RegExp(`/programs/${code}$`));
      await fits('programme');
      await page.locator(`a[href="/programs/${code}/plan"]`).first().click();
      await page.waitForURL(new RegExp(`/programs/${code}/plan$`));
      await fits('empty plan');
      await shot('empty-plan');
    });

    await step('an objective is refused without a title, keeps the input, then saved', async () => {
      await page.locator(`a[href="/programs/${code}/plan/objectives/new"]`).first().click();
      await set('description', 'Texto que no se pierde');
      await submit();
      await page.locator('#err-title').waitFor();
      assert.equal(await form().locator('[name=description]').inputValue(), 'Texto que no se pierde');
      await fits('objective refused');
      await shot('objective-refused');
      await set('title', objective);
      await set('expected_results', 'SL 80 %\nAbandono < 5 %');
      await submit();
      await page.waitForURL(/done=created/);
      await page.locator('.flash', { hasText: T.added }).waitFor();
    });

    await step('a KPI target, a stage with its gate and a milestone', async () => {
      await add('targets', async () => {
        await set('objective_id', objective);
        await set('indicator', 'service_level');
        await set('direction', 'higher');
        await set('target', '80');
        await set('tolerance', '2');
        await set('granularity', 'month');
        await set('period_start', '2026-02-01');
        await set('period_end', '2026-12-31');
        await set('owner_id', who);
      });
      await page.locator('#manage-targets td', { hasText: '80 %' }).waitFor();
      await add('stages', async () => {
        await set('name', 'Puesta en marcha');
        await set('position', '1');
        await set('start_date', '2026-01-05');
        await set('end_date', '2026-02-27');
        await set('entry_criteria.0.text', 'Contrato firmado');
        await set('entry_criteria.0.met', '1');
        await set('exit_criteria.0.text', 'Piloto aprobado');
      });
      await add('milestones', async () => {
        await set('name', 'Salida a producción');
        await set('date', '2026-03-02');
        await set('objective_id', objective);
      });
    });

    await step('a risk and the budget (a line and a monthly amount)', async () => {
      await add('risks', async () => {
        await set('cause', 'Rotación alta');
        await set('event', 'Falta de ejecutivos');
        await set('effect', 'Baja el nivel de servicio');
        await set('probability', '3');
        await set('impact', '4');
        await set('owner_id', who);
        await set('mitigation', 'Bono de permanencia');
        await set('review_date', '2026-03-15');
      });
      await add('budget-lines', async () => {
        await set('category', 'staff');
        await set('description', 'Remuneraciones');
      });
      await add('amounts', async () => {
        await set('line_id', 'Remuneraciones');
        await set('month', '2026-03');
        await set('kind', 'planned');
        await set('amount', lang === 'es' ? '12.500.000' : '12500000');
        await set('currency', 'CLP');
      });
      await page.locator('#manage-amounts td', { hasText: lang === 'es' ? '$12.500.000' : '$12,500,000' }).waitFor();
    });

    await step('activities with dependencies give a Gantt chart and a critical path', async () => {
      const activity = (id, name, days, deps) => add('activities', async () => {
        await set('id', id);
        await set('name', name);
        await set('duration_days', days);
        await set('owner_id', who);
        for (const [i, d] of deps.entries()) await set(`dependencies.${i}.predecessor`, d);
      });
      await activity('A1', 'Reclutamiento', '10', []);
      await activity('A2', 'Capacitación', '5', ['A1']);
      await activity('A3', 'Piloto', '5', ['A1', 'A2']);
      await page.getByText(T.critical).first().waitFor();
      await page.locator('#manage-activities td', { hasText: 'Piloto' }).waitFor();
      await shot('work-plan');
    });

    await step('a role with competencies and languages, and the RACI matrix', async () => {
      await add('roles', async () => {
        await set('name', 'Ejecutivo');
        await set('competencies.0.name', 'Empatía');
        await set('competencies.0.kind', 'behavioural');
        await set('competencies.0.level', '4');
        await set('competencies.1.name', 'Producto hogar');
        await set('competencies.1.kind', 'technical');
        await set('competencies.1.level', '3');
        await set('languages.0.language', 'es');
        await set('languages.0.level', 'C1');
        await set('min_experience_months', '6');
      });
      await page.locator(`a[href="/programs/${code}/plan/raci/edit"]`).click();
      await form().waitFor();
      await fits('raci form');
      for (const [i, a] of ['A1', 'A2', 'A3'].entries()) {
        await set(`entries.${i}.activity`, a);
        await set(`entries.${i}.person_id`, who);
        await set(`entries.${i}.role`, 'A');
      }
      await submit();
      await page.waitForURL(/done=updated/);
      await page.locator('.flash', { hasText: T.saved }).waitFor();
    });

    await step('a meeting with decisions and an action item that joins the work plan', async () => {
      await add('meetings', async () => {
        await set('title', 'Comité de inicio');
        await set('date', '2026-01-07');
        await tick('attendees', who);
        await set('agenda', 'Dotación\nRiesgos');
        await set('minutes', 'Se revisó el plan.');
        await set('decisions', 'Contratar 5 ejecutivos más\nAdelantar la capacitación');
        await set('follow_ups.0.task', 'Enviar el guion al cliente');
        await set('follow_ups.0.owner_id', who);
        await set('follow_ups.0.due_date', '2026-01-14');
      });
      await page.locator('#manage-meetings td', { hasText: 'Contratar 5 ejecutivos más' }).waitFor();
      await page.locator('#manage-activities td', { hasText: 'Enviar el guion al cliente' }).waitFor();
    });

    await step('a diffusion activity with planned and reached audience', async () => {
      await add('diffusion', async () => {
        await set('kind', 'training');
        await set('title', 'Capacitación de producto hogar');
        await set('date', '2026-02-02');
        await set('audience', 'Ejecutivos');
        await set('audience_planned', '40');
        await set('audience_reached', '36');
        await tick('objective_ids', objective);
      });
    });

    await step('a change request is commented and approved into plan version 2', async () => {
      await add('change-requests', async () => {
        await set('kind', 'dates');
        await set('reason', 'El cliente atrasa la entrega de bases');
        await set('impact', 'Dos días más de capacitación');
        await set('requested_by', who);
        await set('changes.0.key', 'activity.A2.duration');
        await set('changes.0.value', '7');
      });
      await page.locator(`#coordination li a[href^="/programs/${code}/plan/change-requests/"]`).first().click();
      await page.locator('textarea[name=comment]').waitFor();
      await fits('change request');
      await page.locator('form[action$="/comment"] button').click();
      await page.locator('#err-comment').waitFor();
      await page.locator('textarea[name=comment]').fill('Revisar el costo de los dos días');
      await page.locator('form[action$="/comment"] button').click();
      await page.locator('.flash', { hasText: T.commented }).waitFor();
      await page.locator(`#coordination li a[href^="/programs/${code}/plan/change-requests/"]`).first().click();
      await page.locator('form[action$="/approve"] textarea').fill('Acordado con el cliente');
      await page.locator('form[action$="/approve"] button').click();
      await page.waitForURL(/done=approved/);
      await page.locator('.flash', { hasText: T.approved }).waitFor();
      await page.getByText(T.version2).first().waitFor();
      await fits('plan after approval');
      await shot('versions');
    });

    await step('items are edited and closed: the risk, the milestone, an activity', async () => {
      await editOf('risks', 'Falta de ejecutivos');
      await set('status', 'closed');
      await submit();
      await page.waitForURL(/done=updated/);
      await page.locator('#manage-risks td', { hasText: T.closed }).waitFor();
      await editOf('milestones', 'Salida a producción');
      await set('status', 'met');
      await submit();
      await page.waitForURL(/done=updated/);
      await page.locator('#manage-milestones .badge', { hasText: T.met }).waitFor();
      await editOf('activities', 'Reclutamiento');
      await set('progress', '100');
      await set('actual_start', '2026-01-05');
      await set('actual_finish', '2026-01-16');
      await submit();
      await page.waitForURL(/done=updated/);
      await page.locator('.flash', { hasText: T.saved }).waitFor();
      await page.locator('.late-flags', { hasText: T.late }).waitFor();
    });

    await step('an item is deleted after its confirmation page', async () => {
      await add('scope', async () => {
        await set('side', 'out');
        await set('text', 'Venta presencial');
      });
      const row = page.locator('#manage-scope tr', { hasText: 'Venta presencial' });
      await row.locator('a[href$="/delete"]').click();
      await page.getByText('Venta presencial').first().waitFor();
      await fits('delete confirmation');
      await page.getByRole('button', { name: T.confirm }).click();
      await page.waitForURL(/done=deleted/);
      await page.locator('.flash', { hasText: T.deleted }).waitFor();
      assert.equal(await page.locator('#manage-scope td', { hasText: 'Venta presencial' }).count(), 0);
      await page.goto(`${base}/programs/${code}`);
      await page.locator('.late-flags').waitFor();
      await fits('programme with flags');
      await shot('programme');
    });

    if (width <= 400) {
      assert.deepEqual(wide, [], `pages wider than ${width} px:\n${wide.join('\n')}`);
    }
  } finally {
    await context.close();
  }
}

try {
  await run({ lang: 'es', width: 1280, code: 'HOGAR-ES', rut: '77123456-9' });
  await run({ lang: 'en', width: 390, code: 'HOGAR-EN', rut: '77654321-7' });
} finally {
  await browser.close();
}
console.log('browser plan forms: all steps passed');
