/**
 * The hand-off inside the Blip portal, without the browser: ask the portal for its language (applied
 * at once, before the rest) and its bot key and user, log in with them, then check the browser kept
 * the session cookie (a cross-site iframe may drop it: the next request would be 401 and the app
 * would bounce back to the login page). Every way this can fail ends in an outcome the login page
 * shows next to the key form; a deadline covers a portal or API that never answers.
 */
export type HandoffFailure = 'portal' | 'refused' | 'not-kept' | 'timeout' | 'error';

export type HandoffOutcome = { ok: true } | { ok: false; reason: HandoffFailure; detail?: string };

export interface HandoffDeps {
  /** The portal's language (getCurrentLanguage); undefined when it does not say. */
  language(): Promise<string | undefined>;
  /** Switches the UI (and its cookie) to the portal's language. */
  applyLanguage(language: string): Promise<void>;
  /** The bot key and the portal user's e-mail (getApplication, get /account). */
  identity(): Promise<{ key: string; user?: string; botName?: string }>;
  /** POST /v1/session; its status and, when refused otherwise than 400/401, the API's message. */
  login(key: string, user?: string, botName?: string): Promise<{ status: number; message?: string }>;
  /** GET /v1/session answers 200: the browser sent the cookie it was just given. */
  sessionKept(): Promise<boolean>;
}

/** Long enough for a slow portal and the API's key check with Blip; never a spinner for ever. */
export const HANDOFF_DEADLINE_MS = 30_000;

export async function portalHandoff(
  deps: HandoffDeps,
  deadlineMs = HANDOFF_DEADLINE_MS,
): Promise<HandoffOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<HandoffOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), deadlineMs);
  });
  try {
    return await Promise.race([steps(deps), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function steps(deps: HandoffDeps): Promise<HandoffOutcome> {
  const languageApplied = deps
    .language()
    .then((language) => (language ? deps.applyLanguage(language) : undefined))
    .catch(() => undefined);
  let identity: { key: string; user?: string; botName?: string };
  try {
    identity = await deps.identity();
  } catch {
    await languageApplied;
    return { ok: false, reason: 'portal' };
  }
  await languageApplied;
  let answer: { status: number; message?: string };
  try {
    answer = await deps.login(identity.key, identity.user, identity.botName);
  } catch (err) {
    return { ok: false, reason: 'error', detail: (err as Error).message };
  }
  if (answer.status === 400 || answer.status === 401) return { ok: false, reason: 'refused' };
  if (answer.status < 200 || answer.status >= 300)
    return { ok: false, reason: 'error', detail: answer.message ?? String(answer.status) };
  try {
    if (!(await deps.sessionKept())) return { ok: false, reason: 'not-kept' };
  } catch (err) {
    return { ok: false, reason: 'error', detail: (err as Error).message };
  }
  return { ok: true };
}
