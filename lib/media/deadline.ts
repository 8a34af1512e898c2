import { MediaLinkError } from './errors';

/**
 * The overall deadline of one download. The body timeout only catches idle gaps, so a host that
 * sends a byte a second would hold a download (and its archive) for ever: a download must end
 * within `floorMs` plus its size at `minBytesPerSecond`. The size counted is what has arrived so
 * far, not what the host announced, so a stream at the minimum rate or faster keeps extending its
 * deadline while a host that announces 100 MB and trickles gets no more than the floor.
 */
export interface DeadlinePolicy {
  floorMs: number;
  minBytesPerSecond: number;
}

export class DownloadDeadline {
  private readonly controller = new AbortController();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private announced = 0;
  private received = 0;
  /** Aborts on the deadline, or when `outer` (the activity's cancellation) aborts. */
  readonly signal: AbortSignal;

  constructor(
    private readonly policy: DeadlinePolicy,
    outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    this.arm();
  }

  /** True once the deadline (not the caller) ended the download. */
  get passed(): boolean {
    return this.controller.signal.aborted;
  }

  announce(length: number): void {
    if (Number.isFinite(length) && length > 0) this.announced = length;
  }

  add(bytes: number): void {
    this.received += bytes;
  }

  /** Stops the timer; call once the download is over, whatever its outcome. */
  clear(): void {
    clearTimeout(this.timer);
  }

  /** The failure to record when the deadline passed. */
  error(): MediaLinkError {
    const of = this.announced ? ` of ${this.announced}` : '';
    return new MediaLinkError(
      `download too slow: deadline of ${Math.round(this.limitMs() / 1000)} s passed after ${this.received}${of} bytes`,
    );
  }

  private limitMs(): number {
    return this.policy.floorMs + (this.received * 1000) / this.policy.minBytesPerSecond;
  }

  private arm(): void {
    const left = this.started + this.limitMs() - Date.now();
    if (left <= 0) {
      this.controller.abort(this.error());
      return;
    }
    // Re-checked when it fires: the bytes received meanwhile may have moved the deadline on.
    this.timer = setTimeout(() => this.arm(), left);
    this.timer.unref();
  }
}
