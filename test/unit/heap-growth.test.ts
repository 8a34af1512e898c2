import { ConfigError, loadConfig } from '../../lib/config';
import { limitHeapGrowth } from '../../worker/heap-growth';

/** Issue 17: the worker collects a burst's garbage early and keeps the workflow thread's nursery small. */

test('the worker sets both V8 flags by default, and 0 leaves each to V8', () => {
  const config = loadConfig({});
  expect(config.WORKER_HEAP_GROWING_PERCENT).toBe(20);
  expect(config.WORKER_WORKFLOW_SEMI_SPACE_MB).toBe(4);
  const off = loadConfig({ WORKER_HEAP_GROWING_PERCENT: '0', WORKER_WORKFLOW_SEMI_SPACE_MB: '0' });
  expect(limitHeapGrowth(off.WORKER_HEAP_GROWING_PERCENT, off.WORKER_WORKFLOW_SEMI_SPACE_MB)).toEqual([]);
  expect(limitHeapGrowth(config.WORKER_HEAP_GROWING_PERCENT, config.WORKER_WORKFLOW_SEMI_SPACE_MB)).toEqual([
    '--heap-growing-percent=20',
    '--max-semi-space-size=4',
  ]);
});

test('a worker thread created after the flag is set gets the small young generation', async () => {
  const { Worker } = await import('node:worker_threads');
  limitHeapGrowth(0, 2);
  // Short-lived objects in bulk: V8 grows a thread's nursery to its maximum (32 MB by default).
  const code = `const v8 = require('node:v8');
    let keep = [];
    for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 2e5) keep = []; }
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    require('node:worker_threads').parentPort.postMessage(space.space_size);`;
  const thread = new Worker(code, { eval: true });
  const newSpace = await new Promise<number>((resolve, reject) =>
    thread.once('message', resolve).once('error', reject),
  );
  await thread.terminate();
  // Two semi-spaces of at most 2 MB each (V8's default would be 16 each).
  expect(newSpace).toBeLessThanOrEqual(4 * 1024 * 1024);
});

test.each([
  ['WORKER_HEAP_GROWING_PERCENT', '-1'],
  ['WORKER_HEAP_GROWING_PERCENT', '301'],
  ['WORKER_HEAP_GROWING_PERCENT', 'lots'],
  ['WORKER_WORKFLOW_SEMI_SPACE_MB', '65'],
  ['WORKER_WORKFLOW_SEMI_SPACE_MB', '1.5'],
])('%s=%s is refused by name', (name, value) => {
  expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
});
