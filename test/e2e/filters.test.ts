/// <reference lib="dom" />
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { browserTestWorld, openHydrated as open, type UiEnv } from '../support/e2e-env';

/**
 * Issue 15 in Chromium, on fixture tickets archived through the real pipeline: the tag and status
 * filters with their counts (statuses in words, never Blip's codes), the order, and a ticket read
 * the way agents talk about it: agents named by their e-mail, a closed marker per ticket, the
 * related ticket linked — and never a link to another tenant's ticket. Screenshots go to
 * test/artifacts/.
 */

const LATAM = 'atendimentolatam';
const ANA = 'b598352e-77f5-546c-a017-5ec108ed50ba'; // #1042, ClosedAttendant, tags Entrega atrasada, Resolvido
const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67'; // #1043, ClosedAttendant
const RAFAEL_1 = '1d91807c-ee64-51bd-9310-963620a44bca'; // #1039, Transferred to #1044
const RAFAEL_2 = '805c6e79-257e-5075-933c-0cdd20578e04'; // #1044, parentSequentialId 1039
const CLINICA_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146'; // the other tenant's #87

const ARTIFACTS = path.resolve(__dirname, '../artifacts');
const WAIT = 15_000;
/** Blip's status codes: none may reach the screen as it is. */
const STATUS_CODE = /\b(None|Waiting|Assigned|Closed[A-Za-z]*|Transferred)\b/;

const world = browserTestWorld({ artifacts: ARTIFACTS });
let env: UiEnv;
beforeAll(() => {
  env = world.env;
});

/** A page in its own cookie jar (one session per context), speaking `language`. */
const newPage = (language: string): Promise<Page> =>
  world.newPage({ language, wait: WAIT, width: 1280, height: 900 });
const login = (page: Page, authorization: string): Promise<void> => world.logIn(page, authorization);

async function screenshot(page: Page, name: string): Promise<void> {
  await page.addStyleTag({ content: '.conversation > li { content-visibility: visible !important; }' });
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

async function settle(page: Page): Promise<void> {
  await page.waitForNetworkIdle({ idleTime: 150, timeout: WAIT });
}

const resultIds = (page: Page) =>
  page.$$eval('.results .ticket-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.ticketId));

/** Clicks a chip and waits for the search it links to. */
async function pick(page: Page, facet: string, value: string): Promise<void> {
  const selector = `.facet-group[data-facet="${facet}"] a.chip[data-value="${value.replace(/"/g, '\\"')}"]`;
  await page.waitForSelector(selector);
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
  await page.waitForFunction(
    (f: string, v: string) => new URL(location.href).searchParams.get(f) === v,
    { timeout: WAIT },
    facet,
    value,
  );
  await settle(page);
}

describe('filters by status and tag, and the order', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage('pt-BR,pt;q=0.9');
    await login(page, botAuthorization(LATAM));
  });

  test('status counts are in words, a picked status and tag narrow the results', async () => {
    await open(page, `${env.baseUrl}/`);
    const statusChips = await page.$$eval('.facet-group[data-facet="status"] a.chip', (chips) =>
      chips.map((c) => ({ value: (c as HTMLElement).dataset.value, text: c.textContent?.trim() ?? '' })),
    );
    expect(statusChips.length).toBeGreaterThan(1);
    for (const chip of statusChips) expect(chip.text).not.toMatch(STATUS_CODE);
    expect(statusChips.find((c) => c.value === 'ClosedAttendant')?.text).toMatch(
      /^Encerrado pelo atendente\s+2$/,
    );

    await pick(page, 'status', 'ClosedAttendant');
    expect((await resultIds(page)).sort()).toEqual([ANA, JOSE].sort());
    const active = await page.$eval(
      '.facet-group[data-facet="status"] a.chip.active',
      (a) => a.textContent ?? '',
    );
    expect(active).not.toMatch(STATUS_CODE);
    // The rows say each ticket's status in words too.
    const rowStatuses = await page.$$eval('.results .row-status', (s) => s.map((x) => x.textContent ?? ''));
    expect(rowStatuses.length).toBe(2);
    for (const text of rowStatuses) expect(text).not.toMatch(STATUS_CODE);

    await pick(page, 'tag', 'Resolvido');
    expect(await resultIds(page)).toEqual([ANA]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('ClosedAttendant');
    // The picked filters stay while the agent searches again from the form.
    await page.select('#f-sort', 'relevance');
    await Promise.all([page.waitForNavigation(), page.click('.search-form button[type=submit]')]);
    await settle(page);
    const params = new URL(page.url()).searchParams;
    expect([params.get('status'), params.get('tag'), params.get('sort')]).toEqual([
      'ClosedAttendant',
      'Resolvido',
      'relevance',
    ]);
    expect(await resultIds(page)).toEqual([ANA]);

    // Back to all of them, to show every filter with its counts.
    await open(page, `${env.baseUrl}/`);
    await screenshot(page, 'filters-status-tag.png');
  });

  test("the other tenant's tags and statuses are never counted", async () => {
    await open(page, `${env.baseUrl}/`);
    const tags = await page.$$eval('.facet-group[data-facet="tag"] a.chip', (chips) =>
      chips.map((c) => (c as HTMLElement).dataset.value),
    );
    expect(tags).toContain('Resolvido');
    expect(tags).not.toContain('Reagendamiento');
  });
});

describe('a ticket read the way agents talk', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage('pt-BR,pt;q=0.9');
    await login(page, botAuthorization(LATAM));
  });

  test('a transferred ticket links to the ticket it continued in, names its agents and ends with a closed marker', async () => {
    await open(page, `${env.baseUrl}/tickets/${RAFAEL_1}`);
    await settle(page);
    // The header and the ticket event of the thread both link to #1044 (same tenant, archived).
    const header = await page.$eval('.related-tickets a[data-related="child"]', (a) => ({
      href: a.getAttribute('href'),
      text: a.textContent,
    }));
    expect(header).toEqual({ href: `/tickets/${RAFAEL_2}`, text: 'Continua no ticket #1044' });
    const eventLinks = await page.$$eval('.conversation a.related-ticket', (as) =>
      as.map((a) => [a.getAttribute('href'), a.textContent?.trim()]),
    );
    expect(eventLinks).toContainEqual([`/tickets/${RAFAEL_2}`, '#1044']);
    // Agents by their e-mail, decoded.
    const who = await page.$$eval('.msg.agent .who', (w) => w.map((x) => x.textContent ?? ''));
    expect(who.length).toBeGreaterThan(0);
    expect(who).toContain('Atendente · bruno.alves@lojaexemplo.com.br');
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).not.toContain('%40');
    // A closed marker for this ticket (not a link), in words.
    const marker = await page.$eval('.closed-marker[data-current="true"]', (m) => m.textContent ?? '');
    expect(marker).toContain('Ticket #1039 encerrado: Transferido para outro ticket');
    expect(marker).not.toMatch(STATUS_CODE);
    await screenshot(page, 'ticket-related-agents.png');
    await (await page.$('.ticket-head'))?.screenshot({
      path: path.join(ARTIFACTS, 'ticket-related-head.png'),
    });
    // The end of the conversation: the last agent message, the close marker and the link to #1044.
    const box = await page.$eval('.conversation', (c) => {
      const r = c.getBoundingClientRect();
      return { x: r.x, y: r.bottom + window.scrollY - 420, width: r.width, height: 420 };
    });
    await page.screenshot({
      path: path.join(ARTIFACTS, 'ticket-related-end.png'),
      clip: box,
      captureBeyondViewport: true,
    });

    // Following the link: #1044 says where it came from.
    await Promise.all([page.waitForNavigation(), page.click('.related-tickets a[data-related="child"]')]);
    await page.waitForSelector('.related-tickets a[data-related="parent"]');
    expect(await page.$eval('.related-tickets a[data-related="parent"]', (a) => a.getAttribute('href'))).toBe(
      `/tickets/${RAFAEL_1}`,
    );
  });

  test("agent messages Blip did not sign carry the ticket's agent", async () => {
    await open(page, `${env.baseUrl}/tickets/${ANA}`);
    const who = await page.$$eval('.msg.agent .who', (w) => w.map((x) => x.textContent ?? ''));
    expect(who.length).toBeGreaterThan(0);
    for (const w of who) expect(w).toBe('Atendente · carlos.lima@lojaexemplo.com.br');
  });

  test("a ticket event naming another tenant's ticket is no link, and says nothing of it", async () => {
    // Attacker-shaped data: #1042's ticket event and parent name the clinic's #87.
    await env.archive.db.query(
      `update messages set content = jsonb_set(content, '{id}', to_jsonb($3::text))
        where tenant_id = $1 and ticket_id = $2 and type = 'application/vnd.iris.ticket+json'`,
      [LATAM, ANA, CLINICA_TICKET],
    );
    await env.archive.db.query(
      'update tickets set parent_sequential_id = 87 where tenant_id = $1 and ticket_id = $2',
      [LATAM, ANA],
    );
    await open(page, `${env.baseUrl}/tickets/${ANA}`);
    await settle(page);
    expect(await page.$$('.related-ticket')).toEqual([]);
    expect(await page.$$('.related-tickets')).toEqual([]);
    const html = await page.content();
    expect(html).not.toContain(`/tickets/${CLINICA_TICKET}`);
    expect(html).not.toContain('Camila');
  });
});
