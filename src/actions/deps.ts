import type { ConnectionSettings } from '../inputs/shared-settings.js';
import type { RunContext } from '../release/metadata.js';
import type { ConnectHooks } from '../remote/connect.js';
import type { Runner } from '../remote/runner.js';
import type { Duplex } from 'node:stream';

export interface Logger {
  info(message: string): void;
  warning(message: string, title?: string): void;
  group<T>(name: string, body: () => Promise<T>): Promise<T>;
}

/** Everything an operation needs from the outside world; tests pass fakes. */
export interface OperationDeps {
  readonly log: Logger;
  connect(settings: ConnectionSettings, hooks: ConnectHooks): Promise<Runner>;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly run: RunContext;
  /** Opens a TCP stream from the runner itself (health `via: runner`). */
  openLocalTcp?(host: string, port: number): Promise<Duplex>;
}
