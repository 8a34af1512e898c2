/** The Blip simulator for tests, the demo and benchmarks (docs/blip-api.md §11). */
export { type Clock, createManualClock, type ManualClock, systemClock } from './clock';
export type { FaultSettings, QueuedFault } from './faults';
export {
  FixtureError,
  type FixtureSet,
  type HostileMedia,
  loadFixtureDir,
  type SimMedia,
  type SimTicket,
} from './fixtures';
export { DEFAULT_SIGNING_KEY, sasTime, signedMediaUri, signPath } from './media-signing';
export type { RequestLogEntry } from './request-log';
export {
  type AddedMedia,
  BlipSimulator,
  type BlipSimulatorOptions,
  createBlipSimulator,
  DEFAULT_FIXTURES_DIR,
  type SimulatorAddress,
} from './server';
export type { AddMediaInput, AddTicketInput } from './store';
