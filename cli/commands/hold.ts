import type { Command } from 'commander';
import {
  type HoldKind,
  type LegalHold,
  listLegalHolds,
  placeLegalHold,
  releaseLegalHold,
} from '../../lib/db/retention';
import { holdObjects, type ObjectHoldResult, releaseObjects } from '../../lib/retention/object-holds';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { CliDeps } from '../context';
import { type CommandContext, UsageError } from './common';

/** `hold place|release|list`: legal holds on a ticket or a contact (retention and erasure skip them). */
/** `hold place <tenant> ticket|contact <target> --reason …` */
export async function placeHold(
  ctx: Pick<CliDeps, 'db' | 'box'> & { store?: ObjectStore },
  args: { tenantId: string; kind: HoldKind; target: string; reason: string; createdBy: string },
): Promise<{ hold: LegalHold; created: boolean; objectHolds?: ObjectHoldResult }> {
  const r = await placeLegalHold(ctx.db, ctx.box, args);
  // Mirrored into the bucket (GCS temporary holds; enforced by real GCS only).
  const objectHolds = ctx.store ? await holdObjects(ctx.db, ctx.store, args.tenantId, args) : undefined;
  return { ...r, ...(objectHolds ? { objectHolds } : {}) };
}

/** `hold release <tenant> ticket|contact <target>`; `released: false` when no hold was active. */
export async function releaseHold(
  ctx: Pick<CliDeps, 'db' | 'box'> & { store?: ObjectStore },
  args: { tenantId: string; kind: HoldKind; target: string; releasedBy: string },
): Promise<{ released: boolean; hold: LegalHold | null; objectHolds?: ObjectHoldResult }> {
  const hold = await releaseLegalHold(ctx.db, ctx.box, args);
  const objectHolds =
    hold && ctx.store ? await releaseObjects(ctx.db, ctx.store, args.tenantId, args) : undefined;
  return { released: hold !== null, hold, ...(objectHolds ? { objectHolds } : {}) };
}

/** `hold list <tenant> [--all]` */
export async function listHolds(
  ctx: Pick<CliDeps, 'db'>,
  args: { tenantId: string; includeReleased?: boolean },
): Promise<LegalHold[]> {
  return listLegalHolds(ctx.db, args.tenantId, { includeReleased: args.includeReleased });
}

export function registerHoldCommands(program: Command, { run }: CommandContext): void {
  const hold = program
    .command('hold')
    .description('legal holds on a ticket or a contact (block retention and erasure)');
  const kindOf = (kind: string): HoldKind => {
    if (kind !== 'ticket' && kind !== 'contact') throw new UsageError('kind must be ticket or contact');
    return kind;
  };
  hold
    .command('place <tenant> <kind> <target>')
    .description('place a hold; kind is ticket (target: ticket id) or contact (target: identity)')
    .requiredOption('--reason <text>', 'why (case number, request)')
    .option('--json', 'print the result as JSON on stdout')
    .action((tenant: string, kind: string, target: string, o: { reason: string; json?: boolean }) =>
      run(async (d) => {
        const r = await placeHold(d, {
          tenantId: tenant,
          kind: kindOf(kind),
          target,
          reason: o.reason,
          createdBy: d.actor,
        });
        return {
          code: 0,
          data: r,
          text: `hold ${r.hold.holdId} on ${kind} ${target}${r.created ? '' : ' (already held)'}${r.objectHolds?.supported ? `; storage hold on ${r.objectHolds.objects} objects (media and sealed copies; enforced by GCS, not by the local emulator)` : ''}`,
        };
      }, Boolean(o.json)),
    );
  hold
    .command('release <tenant> <kind> <target>')
    .description('release the active hold on a ticket or contact')
    .option('--json', 'print the result as JSON on stdout')
    .action((tenant: string, kind: string, target: string, o: { json?: boolean }) =>
      run(async (d) => {
        const r = await releaseHold(d, { tenantId: tenant, kind: kindOf(kind), target, releasedBy: d.actor });
        return {
          code: r.released ? 0 : 1,
          data: r,
          text: r.released
            ? `released hold ${r.hold?.holdId}${r.objectHolds?.supported ? `; storage hold lifted on ${r.objectHolds.objects} objects no other hold covers` : ''}`
            : 'no active hold',
        };
      }, Boolean(o.json)),
    );
  hold
    .command('list <tenant>')
    .description('active holds (--all: released ones too)')
    .option('--all', 'include released holds')
    .option('--json', 'print the result as JSON on stdout')
    .action((tenant: string, o: { all?: boolean; json?: boolean }) =>
      run(async (d) => {
        const r = await listHolds(d, { tenantId: tenant, includeReleased: Boolean(o.all) });
        const text = r.map(
          (h) => `${h.holdId}\t${h.kind}\t${h.target}\t${h.releasedAt ? 'released' : 'active'}\t${h.reason}`,
        );
        return { code: 0, data: r, text: text.join('\n') || 'no holds' };
      }, Boolean(o.json)),
    );
}
