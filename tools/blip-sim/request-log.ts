/**
 * What the simulator received and how it answered, for assertions such as "the client sent
 * getFromOwnerIfTunnel=true", "three attempts were made" or "no web-link was ever fetched".
 * Bounded: the oldest entries are dropped past `max`. Never records the Authorization header.
 */
export interface RequestLogEntry {
  seq: number;
  /** Simulator clock. */
  at: string;
  kind: 'command' | 'media' | 'other';
  httpMethod: string;
  /** Path and query of the HTTP request. */
  url: string;
  /** The authenticated bot identity, when the key was accepted. */
  bot: string | null;
  command?: { id?: string; method?: string; uri?: string; to?: string; type?: string };
  /** HTTP status sent; null when the connection was dropped or the request hung. */
  status: number | null;
  outcome: 'answered' | 'dropped' | 'hung' | 'truncated';
  /** The injected fault, e.g. "429", "504", "drop", "hang", "truncate"; null for a normal answer. */
  fault: string | null;
  /** Body bytes written so far (media), so a test can act while a download is under way. */
  bytesSent?: number;
  /** LIME status of a command answer and its reason code, if any. */
  lime?: { status: string; reasonCode?: number };
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly max: number) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return full;
  }

  list(sinceSeq = 0): RequestLogEntry[] {
    return this.entries.filter((e) => e.seq > sinceSeq);
  }

  clear(): void {
    this.entries = [];
  }
}
