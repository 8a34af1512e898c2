import { createHash, randomBytes } from 'node:crypto';
import type { JsonObject } from './fixtures';

/**
 * Response envelopes as Blip shapes them (docs/blip-api.md §1, §11): the request's `id` and `method`
 * echoed, `from` the extension's postmaster with an instance suffix, `to` the caller's node, and
 * `metadata["#command.uri"] = "lime://<caller><uri>"`.
 */

export interface CommandContext {
  id: string;
  method: string;
  uri: string;
  /** The extension address that answers, without instance, e.g. postmaster@desk.msging.net. */
  postmaster: string;
  caller: string;
}

export interface LimeReason {
  code?: number;
  description: string;
}

function callerNode(caller: string): string {
  return `${caller}/!sim-1-${createHash('sha1').update(caller).digest('hex').slice(0, 8)}`;
}

function metadata(ctx: CommandContext): JsonObject {
  return {
    '#command.uri': `lime://${ctx.caller}${ctx.uri}`,
    traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
  };
}

export function success(ctx: CommandContext, type?: string, resource?: unknown): JsonObject {
  return {
    ...(type === undefined ? {} : { type, resource }),
    method: ctx.method,
    status: 'success',
    id: ctx.id,
    from: `${ctx.postmaster}/!sim-1`,
    to: callerNode(ctx.caller),
    metadata: metadata(ctx),
  };
}

export function failure(ctx: CommandContext, reason: LimeReason): JsonObject {
  return {
    method: ctx.method,
    status: 'failure',
    reason: reason.code === undefined ? { description: reason.description } : reason,
    id: ctx.id,
    from: `${ctx.postmaster}/!sim-1`,
    to: callerNode(ctx.caller),
    metadata: metadata(ctx),
  };
}

export function collection(
  ctx: CommandContext,
  itemType: string,
  items: unknown[],
  total: number,
): JsonObject {
  return success(ctx, 'application/vnd.lime.collection+json', { total, itemType, items });
}

/**
 * Replaces the fixture media host in every string of a response, so links point at the
 * simulator's own media host on 127.0.0.1. Returns new objects; fixtures stay untouched.
 */
export function rewriteMediaHost(value: unknown, from: string, to: string): unknown {
  if (from === to) return value;
  const pattern = new RegExp(`${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/?#]|$)`, 'g');
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return v.includes(from) ? v.replace(pattern, to) : v;
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1);
    return out;
  };
  return walk(value, 0);
}
