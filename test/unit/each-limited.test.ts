import { eachLimited } from '../../lib/each-limited';

const tick = () => new Promise((r) => setImmediate(r));

test('every item once, at most `limit` at a time, with its index', async () => {
  let inFlight = 0;
  let most = 0;
  const seen: Array<[string, number]> = [];
  await eachLimited(['a', 'b', 'c', 'd', 'e'], 2, async (item, index) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await tick();
    seen.push([item, index]);
    inFlight--;
  });
  expect(most).toBe(2);
  expect(seen.sort()).toEqual([
    ['a', 0],
    ['b', 1],
    ['c', 2],
    ['d', 3],
    ['e', 4],
  ]);
});

test('after a failure no new item starts, and the failure comes once the running ones finish', async () => {
  const started: number[] = [];
  let finishedAfterFailure = false;
  const run = eachLimited([0, 1, 2, 3, 4, 5], 2, async (n) => {
    started.push(n);
    if (n === 0) throw new Error('item 0 failed');
    await tick();
    await tick();
    finishedAfterFailure = true;
  });
  await expect(run).rejects.toThrow('item 0 failed');
  expect(started).toEqual([0, 1]);
  expect(finishedAfterFailure).toBe(true);
});

test('an aborted signal stops the lanes before the next item', async () => {
  const controller = new AbortController();
  const started: number[] = [];
  const run = eachLimited(
    [0, 1, 2, 3],
    1,
    async (n) => {
      started.push(n);
      if (n === 1) controller.abort(new Error('cancelled'));
    },
    controller.signal,
  );
  await expect(run).rejects.toThrow('cancelled');
  expect(started).toEqual([0, 1]);
});
