import { loadStackConfig } from '../../infra/stack-config';
import { stackEnv, stackUp } from '../../infra/stack-control';
import { ChaosDeadlineError, formatReport, runChaos } from './run';

/**
 * `npm run chaos -- --tickets N --seed S [--deadline-min M] [--window-s W] [--workers K]`
 * Brings the local stack up if needed (it restarts its services during the run and leaves them
 * running), runs chaos and prints the table; exits 1 unless lost and duplicated are both 0.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`chaos: --${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}

async function main() {
  const tickets = arg('tickets', 200);
  const seed = arg('seed', 1);
  const deadlineMin = arg('deadline-min', Math.max(5, Math.ceil(tickets / 10)));
  const windowS = arg('window-s', Math.max(40, Math.min(180, tickets)));
  const config = loadStackConfig();
  await stackUp(config, () => undefined);
  Object.assign(process.env, await stackEnv(config));
  const report = await runChaos({
    tickets,
    seed,
    deadlineMs: deadlineMin * 60_000,
    windowMs: windowS * 1000,
    workers: arg('workers', 2),
    processFaults: arg('process-faults', Math.max(6, Math.round(tickets / 15))),
  });
  console.log(formatReport(report));
  process.exit(report.lost === 0 && report.duplicated === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err instanceof ChaosDeadlineError ? err.message : `chaos failed: ${(err as Error).stack}`);
  console.error('lost: unknown\nduplicated: unknown');
  process.exit(1);
});
