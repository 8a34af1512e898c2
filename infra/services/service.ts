/** What the stack needs to know about each local service. */
export interface ServiceStatus {
  name: string;
  running: boolean;
  healthy: boolean;
  version: string;
  address: string;
  dataDir: string;
  detail?: string;
}

export interface LocalService {
  readonly name: string;
  /** True when something answers the health check at the configured address. */
  healthy(): Promise<boolean>;
  /** Starts the process (detached, pid-tracked) and waits until healthy. */
  start(): Promise<void>;
  /** Stops the process this stack started; returns false when there was none. */
  stop(): Promise<boolean>;
  status(): Promise<ServiceStatus>;
  /** Removes the data directory (only while stopped). */
  wipe(): void;
}
