/**
 * `concurrency` loops, each calling `op` again as soon as its last call settled, for `seconds`:
 * the closed loop both the webhook's load process and its bare-start floor run, timed the same way
 * (monotonic clock, fractions of a millisecond). A call that throws counts as an error, not a latency.
 */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  op: () => Promise<void>,
): Promise<{ latencies: number[]; errors: number; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}
