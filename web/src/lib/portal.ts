/**
 * The Blip portal's extension protocol (iframe-message-proxy, docs/blip-api.md §12): the extension posts
 * `{message: {action: 'blipEvent:<action>', content, caller}, trackingProperties: {id}}` to its
 * parent and the portal answers `{response | error, trackingProperties: {id}}`.
 */
export const inIframe = (): boolean => {
  try {
    return window.self !== window.top;
  } catch {
    return true;
  }
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const pending = new Map<string, Pending>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== window.parent) return;
    const data = event.data as { response?: unknown; error?: unknown; trackingProperties?: { id?: unknown } };
    const id = data && typeof data === 'object' ? data.trackingProperties?.id : undefined;
    if (typeof id !== 'string') return;
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in data && data.error !== undefined) p.reject(new Error(describe(data.error)));
    else p.resolve(data.response);
  });
}

function describe(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'message' in err)
    return String((err as { message: unknown }).message);
  return 'portal error';
}

const newId = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;

/** How long a question to the portal waits by default (UI_PORTAL_REQUEST_MS can change it). */
export const PORTAL_REQUEST_MS = 5000;

export function portalRequest<T = unknown>(
  action: string,
  content?: unknown,
  timeoutMs = PORTAL_REQUEST_MS,
): Promise<T> {
  listen();
  const id = newId();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`portal did not answer ${action}`));
    }, timeoutMs);
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    window.parent.postMessage(
      {
        message: { action: `blipEvent:${action}`, content, caller: 'ticket-vault' },
        trackingProperties: { id },
      },
      '*',
    );
  });
}

export interface PortalApplication {
  shortName?: string;
  name?: string;
  accessKey?: string;
  applicationJson?: { identifier?: string; accessKey?: string };
}

function b64encodeUtf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** `Key base64(shortName:atob(accessKey))`, the bot key as Blip's HTTP authorization header has it. */
export function botKeyFromApplication(app: PortalApplication): string | null {
  const shortName = app.shortName ?? app.applicationJson?.identifier;
  const accessKey = app.applicationJson?.accessKey ?? app.accessKey;
  if (!shortName || !accessKey) return null;
  let secret: string;
  try {
    const bin = atob(accessKey);
    secret = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  return `Key ${b64encodeUtf8(`${shortName}:${secret}`)}`;
}

/** The portal's language (`pt`, `en`, `es`…), asked on its own so the UI can switch at once. */
export async function portalLanguage(timeoutMs = PORTAL_REQUEST_MS): Promise<string | undefined> {
  const language = await portalRequest<string | { language?: string }>(
    'getCurrentLanguage',
    undefined,
    timeoutMs,
  ).catch(() => undefined);
  return (typeof language === 'string' ? language : language?.language) || undefined;
}

/** The portal's bot key and its user's e-mail (the actor of the audit log). */
export async function portalIdentity(
  timeoutMs = PORTAL_REQUEST_MS,
): Promise<{ key: string; user?: string; botName?: string }> {
  const app = await portalRequest<PortalApplication>('getApplication', undefined, timeoutMs);
  const key = app && botKeyFromApplication(app);
  if (!key) throw new Error('portal gave no bot key');
  const account = await portalRequest<{ email?: string; resource?: { email?: string } }>(
    'sendCommand',
    {
      destination: 'BlipService',
      command: { method: 'get', uri: '/account' },
    },
    timeoutMs,
  ).catch(() => undefined);
  const user = account?.email ?? account?.resource?.email;
  // The bot's name names the tenant until an operator sets one (`tenants set-name`).
  const botName = typeof app.name === 'string' ? app.name.trim().slice(0, 120) : '';
  return { key, ...(user ? { user } : {}), ...(botName ? { botName } : {}) };
}
