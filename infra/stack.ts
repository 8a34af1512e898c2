import { provision } from './provision';
import { loadStackConfig } from './stack-config';
import { type StackMode, stackDown, stackMode, stackStatus, stackUp, wipeData } from './stack-control';

/**
 * `npm run stack -- up | down | status | provision [--fresh] [--temporal dev|server] [--search single|cluster]`
 */

const usage =
  'usage: npm run stack -- up | down | status | provision [--fresh] [--temporal dev|server] [--search single|cluster]';

/** `--temporal server` / `--search=cluster`; a bad value is a usage error. */
function parseMode(flags: string[]): Partial<StackMode> | null {
  const mode: Partial<StackMode> = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] as string;
    const [key, inline] = flag.split('=', 2) as [string, string | undefined];
    if (key !== '--temporal' && key !== '--search') {
      if (flag !== '--fresh') return null;
      continue;
    }
    const value = inline ?? flags[++i];
    if (key === '--temporal' && (value === 'dev' || value === 'server')) mode.temporal = value;
    else if (key === '--search' && (value === 'single' || value === 'cluster')) mode.search = value;
    else return null;
  }
  return mode;
}

function printStatus(rows: Awaited<ReturnType<typeof stackStatus>>): void {
  const table = rows.map((r) => ({
    service: r.name,
    state: r.healthy ? 'up' : r.running ? 'starting/unhealthy' : 'down',
    version: r.version,
    address: r.address,
    data: r.dataDir,
  }));
  const cols = ['service', 'state', 'version', 'address', 'data'] as const;
  const width = (c: (typeof cols)[number]) => Math.max(c.length, ...table.map((r) => r[c].length));
  const line = (r: Record<(typeof cols)[number], string>) =>
    cols.map((c) => r[c].padEnd(width(c))).join('  ');
  console.log(
    line({ service: 'service', state: 'state', version: 'version', address: 'address', data: 'data' }),
  );
  for (const r of table) console.log(line(r));
}

async function main(): Promise<number> {
  const [command, ...flags] = process.argv.slice(2);
  const config = loadStackConfig();
  const fresh = flags.includes('--fresh');
  const requested = parseMode(flags);
  if (!requested) {
    console.error(usage);
    return 2;
  }
  switch (command) {
    case 'provision':
      provision(config, console.log, requested);
      return 0;
    case 'up': {
      provision(config, console.log, stackMode(config, requested));
      if (fresh) {
        await stackDown(config);
        wipeData(config);
      }
      const t0 = Date.now();
      await stackUp(config, console.log, requested);
      console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      printStatus(await stackStatus(config, requested));
      return 0;
    }
    case 'down': {
      const stopped = await stackDown(config);
      console.log(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      if (fresh) wipeData(config);
      return 0;
    }
    case 'status': {
      const rows = await stackStatus(config, requested);
      printStatus(rows);
      return rows.every((r) => r.healthy) ? 0 : 3;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`stack: ${(err as Error).message}`);
    process.exit(1);
  },
);
