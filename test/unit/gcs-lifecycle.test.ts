import fs from 'node:fs';
import path from 'node:path';
import { PARTIAL_SUFFIX } from '../../lib/media/partials';

/**
 * infra/gcs/lifecycle.json, the bucket's lifecycle rule (docs/deploy.md): partial uploads go after
 * a day; media, seals and exports move Standard → Nearline → Coldline as they age and are never
 * deleted by it (retention and erasure delete objects, not the bucket).
 */
type Rule = {
  action: { type: string; storageClass?: string };
  condition: {
    age?: number;
    matchesSuffix?: string[];
    matchesPrefix?: string[];
    matchesStorageClass?: string[];
  };
};
const rules = (
  JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../infra/gcs/lifecycle.json'), 'utf8')) as {
    rule: Rule[];
  }
).rule;

test('the only deleting rule takes partial uploads older than a day, nothing else', () => {
  const deleting = rules.filter((r) => r.action.type === 'Delete');
  expect(deleting).toEqual([
    { action: { type: 'Delete' }, condition: { age: 1, matchesSuffix: [PARTIAL_SUFFIX] } },
  ]);
});

test('objects move Standard → Nearline → Coldline, each after its minimum storage duration', () => {
  const moves = rules.filter((r) => r.action.type === 'SetStorageClass');
  const to = (cls: string) => moves.find((r) => r.action.storageClass === cls);
  const nearline = to('NEARLINE');
  const coldline = to('COLDLINE');
  expect(nearline?.condition.matchesStorageClass).toEqual(['STANDARD']);
  expect(coldline?.condition.matchesStorageClass).toEqual(['NEARLINE']);
  // GCS charges early deletion under 30 days (Nearline) and 90 days (Coldline) from creation: a
  // move before that would cost more than it saves for anything retention deletes soon after.
  expect(nearline?.condition.age).toBeGreaterThanOrEqual(30);
  expect(coldline?.condition.age).toBeGreaterThanOrEqual(90);
  expect(coldline?.condition.age).toBeGreaterThan(nearline?.condition.age ?? Infinity);
  // No rule narrows by prefix: keys start with the tenant, so a prefix would cover one tenant only.
  expect(moves.every((r) => !r.condition.matchesPrefix)).toBe(true);
});
