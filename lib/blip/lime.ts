import {
  BlipAuthError,
  BlipCommandError,
  type BlipError,
  BlipNotFoundError,
  type CommandSummary,
  describeCommand,
} from './errors';

/** LIME command envelopes as Blip's HTTP endpoint takes and returns them (docs/blip-api.md §1). */

export type LimeMethod = 'get' | 'set' | 'merge' | 'delete' | 'subscribe' | 'unsubscribe' | 'observe';

export interface LimeCommand {
  id: string;
  to?: string;
  method: LimeMethod;
  uri: string;
  type?: string;
  resource?: unknown;
}

export interface LimeReason {
  code?: number;
  description?: string;
}

export interface LimeResponse {
  id?: string;
  method?: string;
  status?: 'success' | 'failure' | string;
  type?: string;
  resource?: unknown;
  reason?: LimeReason;
  from?: string;
  to?: string;
  metadata?: Record<string, unknown>;
}

export interface LimeCollection<T = unknown> {
  total?: number;
  itemType?: string;
  items: T[];
}

/** LIME reason codes the client reacts to (lime-csharp ReasonCodes.cs). */
export const ReasonCode = {
  resourceNotSupported: 62,
  methodNotSupported: 63,
  invalidArgument: 64,
  notAllowed: 66,
  resourceNotFound: 67,
} as const;

/** Blip's extension addresses (docs/blip-api.md §2). */
export const Postmaster = {
  desk: 'postmaster@desk.msging.net',
  crm: 'postmaster@crm.msging.net',
  media: 'postmaster@media.msging.net',
  tunnel: 'postmaster@tunnel.msging.net',
  /** The bot's own server; threads live here. */
  messaging: 'postmaster@msging.net',
} as const;

export function summarize(command: LimeCommand): CommandSummary {
  return { method: command.method, uri: command.uri, ...(command.to ? { to: command.to } : {}) };
}

/** Turns a `status: failure` envelope (which Blip sends with HTTP 200) into a typed error. */
export function failureToError(command: CommandSummary, reason: LimeReason | undefined): BlipError {
  const code = typeof reason?.code === 'number' ? reason.code : undefined;
  const description = typeof reason?.description === 'string' ? reason.description : undefined;
  const details = { command, reasonCode: code, reasonDescription: description };
  const what = `${describeCommand(command)} failed${code === undefined ? '' : ` (LIME ${code})`}: ${
    description ?? 'no description'
  }`;
  if (code === ReasonCode.resourceNotFound) return new BlipNotFoundError(what, details);
  // 31–35 are LIME's authorization reasons: the key is valid but may not do this.
  if (code !== undefined && code >= 31 && code <= 35) return new BlipAuthError(what, details);
  if (code === ReasonCode.resourceNotSupported) {
    return new BlipCommandError(what, 'BLIP_RESOURCE_NOT_SUPPORTED', details);
  }
  if (code === ReasonCode.methodNotSupported) {
    return new BlipCommandError(what, 'BLIP_METHOD_NOT_SUPPORTED', details);
  }
  return new BlipCommandError(what, 'BLIP_COMMAND_FAILED', details);
}

export function isCollection(value: unknown): value is LimeCollection {
  return typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items);
}
