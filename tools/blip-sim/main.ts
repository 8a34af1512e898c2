import path from 'node:path';
import { parseArgs } from 'node:util';
import { createManualClock } from './clock';
import { FixtureError } from './fixtures';
import { fixturesDir } from './fixtures-dir';
import { createBlipSimulator, DEFAULT_FIXTURES_DIR } from './server';

/**
 * `npm run blip-sim -- --fixtures <dir> --port <port>`: serves a fixture directory as Blip's
 * command API and media host on 127.0.0.1 until Ctrl-C.
 */

const USAGE = `usage: npm run blip-sim -- [--fixtures <dir>] [--port <port>] [--seed <n>] [--clock <ISO date>]
       [--latency-ms <ms>] [--error-rate <0..1>] [--rate-limit-rate <0..1>] [--retry-after <s>]
       [--gateway-timeout-rate <0..1>] [--drop-rate <0..1>] [--hang-rate <0..1>]
       [--truncate-media-rate <0..1>] [--expired-media-links]
defaults: fixtures $BLIP_FIXTURES_DIR or ${DEFAULT_FIXTURES_DIR}; port $BLIP_SIM_PORT or 8090`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixtures: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      clock: { type: 'string' },
      'latency-ms': { type: 'string' },
      'error-rate': { type: 'string' },
      'rate-limit-rate': { type: 'string' },
      'retry-after': { type: 'string' },
      'gateway-timeout-rate': { type: 'string' },
      'drop-rate': { type: 'string' },
      'hang-rate': { type: 'string' },
      'truncate-media-rate': { type: 'string' },
      'expired-media-links': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const fixtureDir = values.fixtures ? path.resolve(values.fixtures) : fixturesDir();
  const port = number('port', values.port ?? process.env.BLIP_SIM_PORT) ?? 8090;
  const faults = Object.fromEntries(
    Object.entries({
      seed: number('seed', values.seed),
      latencyMs: number('latency-ms', values['latency-ms']),
      errorRate: number('error-rate', values['error-rate']),
      rateLimitRate: number('rate-limit-rate', values['rate-limit-rate']),
      retryAfterSeconds: number('retry-after', values['retry-after']),
      gatewayTimeoutRate: number('gateway-timeout-rate', values['gateway-timeout-rate']),
      dropRate: number('drop-rate', values['drop-rate']),
      hangRate: number('hang-rate', values['hang-rate']),
      truncateMediaRate: number('truncate-media-rate', values['truncate-media-rate']),
      expiredMediaLinks: values['expired-media-links'],
    }).filter(([, v]) => v !== undefined),
  );
  const sim = createBlipSimulator({
    fixturesDir: fixtureDir,
    faults,
    ...(values.clock ? { clock: createManualClock(values.clock) } : {}),
  });
  const address = await sim.listen(port);
  console.log(`Blip simulator on ${address.url}`);
  console.log(`  commands  ${address.commandsUrl}   (BLIP_API_URL)`);
  console.log(`  media     ${address.mediaUrl}   (replaces ${sim.fixtures.mediaHost} in responses)`);
  console.log(`  admin     ${address.url}/_admin/health, /_admin/faults, /_admin/requests, /_admin/reset`);
  console.log(
    `  fixtures  ${sim.fixtures.dir}: ${sim.store.ticketCount()} tickets, ${sim.store.mediaCount()} media files`,
  );
  console.log(
    `  clock     ${values.clock ? `fixed at ${values.clock}` : 'real time (fixture media links are expired)'}`,
  );
  if (Object.keys(faults).length > 0) console.log(`  faults    ${JSON.stringify(faults)}`);
  console.log('  bots (fixture keys, not secrets):');
  for (const bot of sim.bots) {
    const tickets = sim.store.ticketsOf(bot.identity).length;
    console.log(
      `    ${bot.identity.padEnd(32)} ${String(tickets).padStart(3)} tickets  ${bot.authorization}`,
    );
  }
  for (const warning of sim.fixtures.warnings) console.warn(`  warning: ${warning}`);

  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  const message = err instanceof FixtureError ? `fixture error: ${err.message}` : (err as Error).message;
  console.error(`blip-sim: ${message}`);
  process.exit(1);
});
