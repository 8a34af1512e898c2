/**
 * Codes the API answers with (ticket statuses, channels, delivery and chat states, error codes
 * and reasons, media failure reasons) turned into translated words. Nothing the API sends as a
 * code reaches the screen raw (issue 15): an unknown code gets a generic translated word, never
 * itself. test/unit/ui-codes.test.ts checks that every code the API defines has its key here and
 * words in every language.
 */
import type { MessageKey, Translate } from './i18n';

export const STATUS_KEYS: Record<string, MessageKey> = {
  None: 'status.None',
  Waiting: 'status.Waiting',
  Open: 'status.Open',
  Assigned: 'status.Assigned',
  ClosedAttendant: 'status.ClosedAttendant',
  ClosedClient: 'status.ClosedClient',
  ClosedClientInactivity: 'status.ClosedClientInactivity',
  ClosedAttendantInactivity: 'status.ClosedAttendantInactivity',
  Transferred: 'status.Transferred',
};

/** A ticket status in words; unknown ones by what they look like (closed or not). */
export function statusText(t: Translate, status: string | null | undefined): string {
  if (!status) return '—';
  const key = STATUS_KEYS[status];
  if (key) return t(key);
  return /^closed/i.test(status) ? t('status.otherClosed') : t('status.other');
}

export const CHANNEL_KEYS: Record<string, MessageKey> = {
  WhatsApp: 'channel.WhatsApp',
  Instagram: 'channel.Instagram',
  Messenger: 'channel.Messenger',
  Telegram: 'channel.Telegram',
  BlipChat: 'channel.BlipChat',
  Email: 'channel.Email',
  Teams: 'channel.Teams',
  SMS: 'channel.SMS',
  Tunnel: 'channel.Tunnel',
  Other: 'channel.Other',
};

export function channelText(t: Translate, channel: string | null | undefined): string {
  if (!channel) return '—';
  return t(CHANNEL_KEYS[channel] ?? 'channel.Other');
}

export const DELIVERY_KEYS: Record<string, MessageKey> = {
  accepted: 'delivery.accepted',
  dispatched: 'delivery.dispatched',
  received: 'delivery.received',
  consumed: 'delivery.consumed',
  failed: 'delivery.failed',
};

/** A message's delivery state in words ('' for none; unknown states say nothing rather than a code). */
export function deliveryText(t: Translate, status: string | null | undefined): string {
  if (!status) return '';
  const key = DELIVERY_KEYS[status.toLowerCase()];
  return key ? t(key) : '';
}

export const CHAT_STATE_KEYS: Record<string, MessageKey> = {
  starting: 'chatstate.starting',
  composing: 'chatstate.composing',
  paused: 'chatstate.paused',
  deleting: 'chatstate.deleting',
  gone: 'chatstate.gone',
};

/** Typing indicators say nothing a reader needs: the conversation folds them away. */
export const FOLDED_CHAT_STATES = new Set(['composing', 'paused', 'starting', 'deleting']);

export function chatStateText(t: Translate, state: string | null | undefined): string {
  const key = CHAT_STATE_KEYS[(state ?? '').toLowerCase()];
  return key ? t(key) : t('chatstate.other');
}

export const ERROR_KEYS: Record<string, MessageKey> = {
  bad_request: 'apiError.bad_request',
  unauthorized: 'apiError.unauthorized',
  forbidden: 'apiError.forbidden',
  not_found: 'apiError.not_found',
  rate_limited: 'apiError.rate_limited',
  export_too_large: 'apiError.export_too_large',
  unsupported_media_type: 'apiError.bad_request',
  payload_too_large: 'apiError.payload_too_large',
  bad_gateway: 'apiError.bad_gateway',
  unavailable: 'apiError.unavailable',
  internal_error: 'apiError.internal_error',
};

export const REASON_KEYS: Record<string, MessageKey> = {
  date_invalid: 'apiReason.date_invalid',
  date_unreal: 'apiReason.date_unreal',
  date_range_inverted: 'apiReason.date_range_inverted',
  phone_too_short: 'apiReason.phone_too_short',
  ticket_invalid: 'apiReason.ticket_invalid',
  tenant_invalid: 'apiReason.tenant_invalid',
  facet_invalid: 'apiReason.facet_invalid',
  has_invalid: 'apiReason.has_invalid',
  search_reindex_needed: 'apiReason.search_reindex_needed',
  lang_invalid: 'apiReason.lang_invalid',
  too_many_messages: 'apiReason.too_many_messages',
  too_many_exports: 'apiReason.too_many_exports',
  redact_pattern_unknown: 'apiReason.redact_pattern_unknown',
  redact_regex_invalid: 'apiReason.redact_regex_invalid',
  redact_empty: 'apiReason.redact_empty',
};

/** The form fields an error's `params.field` can name, in words. */
export const FIELD_KEYS: Record<string, MessageKey> = {
  from: 'search.from',
  to: 'search.to',
  phone: 'search.phone',
  name: 'search.name',
  ticket: 'search.ticket',
  q: 'search.q',
  channel: 'col.channel',
  agent: 'col.agent',
  team: 'col.team',
  tag: 'col.tags',
  status: 'col.status',
  sort: 'search.sort',
};

/** An error answer of the API (`{ error, message, reason?, params? }`), as far as the UI reads it. */
export interface ApiErrorBody {
  error?: unknown;
  reason?: unknown;
  params?: unknown;
  /** English, for logs: never shown. */
  message?: unknown;
}

/**
 * The translated sentence for an API error answer. `status` covers answers without a body (a
 * proxy's 502 page, a network failure = 0). The English `message` is never shown.
 */
export function apiErrorText(t: Translate, body: ApiErrorBody | null | undefined, status = 0): string {
  const raw = body?.params && typeof body.params === 'object' ? (body.params as Record<string, unknown>) : {};
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'number') params[k] = v;
    else if (typeof v === 'string') params[k] = v.slice(0, 80);
  }
  if (typeof params.field === 'string') {
    const fieldKey = FIELD_KEYS[params.field];
    params.field = fieldKey ? t(fieldKey) : t('apiError.someField');
  }
  const reasonKey = typeof body?.reason === 'string' ? REASON_KEYS[body.reason] : undefined;
  if (reasonKey) return t(reasonKey, params);
  const codeKey = typeof body?.error === 'string' ? ERROR_KEYS[body.error] : undefined;
  if (codeKey === 'apiError.bad_request' && typeof params.field === 'string')
    return t('apiError.bad_field', params);
  if (codeKey) return t(codeKey, params);
  if (status === 0) return t('apiError.network');
  if (status === 401) return t('apiError.unauthorized');
  if (status === 404) return t('apiError.not_found');
  if (status === 429) return t('apiError.rate_limited');
  if (status >= 500) return t('apiError.unavailable');
  return t('apiError.bad_request');
}

/** Reads an error answer's body and translates it. */
export async function responseErrorText(t: Translate, res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as ApiErrorBody | null;
  return apiErrorText(t, body, res.status);
}

/** Why a media file could not be archived (the worker's English reason), as a translated category. */
export function mediaReasonText(t: Translate, reason: string | null | undefined): string {
  if (!reason) return '';
  const r = reason.toLowerCase();
  if (/expired|http 403|http 410/.test(r)) return t('mediaReason.expired');
  if (/larger than|too large/.test(r)) return t('mediaReason.tooLarge');
  if (/ssrf|not fetched|credentials|never followed|redirect/.test(r)) return t('mediaReason.refused');
  if (/type mismatch/.test(r)) return t('mediaReason.typeMismatch');
  if (/http 404/.test(r)) return t('mediaReason.gone');
  return t('mediaReason.unreachable');
}

/** A file's type in words (never its MIME type), from its content type or file name. */
export function fileKindText(
  t: Translate,
  contentType: string | null | undefined,
  title?: string | null,
): string {
  const ct = (contentType ?? '').toLowerCase().split(';')[0]?.trim() ?? '';
  const ext = /\.([a-z0-9]{1,5})$/i.exec(title ?? '')?.[1]?.toLowerCase() ?? '';
  if (ct.startsWith('image/') || ['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic'].includes(ext))
    return t('fileKind.image');
  if (ct.startsWith('audio/') || ['mp3', 'ogg', 'opus', 'm4a', 'wav', 'aac'].includes(ext))
    return t('fileKind.audio');
  if (ct.startsWith('video/') || ['mp4', 'mov', 'webm', '3gp', 'avi'].includes(ext))
    return t('fileKind.video');
  if (ct === 'application/pdf' || ext === 'pdf') return t('fileKind.pdf');
  if (/spreadsheet|excel|csv/.test(ct) || ['xls', 'xlsx', 'ods', 'csv'].includes(ext))
    return t('fileKind.spreadsheet');
  if (/presentation|powerpoint/.test(ct) || ['ppt', 'pptx', 'odp'].includes(ext))
    return t('fileKind.presentation');
  if (/word|opendocument\.text|rtf/.test(ct) || ['doc', 'docx', 'odt', 'rtf'].includes(ext))
    return t('fileKind.document');
  if (/zip|compressed|x-tar|gzip|x-7z|x-rar/.test(ct) || ['zip', 'rar', '7z', 'gz', 'tar'].includes(ext))
    return t('fileKind.archive');
  if (ct.startsWith('text/') || ext === 'txt') return t('fileKind.text');
  return t('fileKind.file');
}
