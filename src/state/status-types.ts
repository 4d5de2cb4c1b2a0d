import type { EnvironmentName } from '../config/schema.js';

/** Health of one environment, as `status` and the dashboard show it. */
export type Health = 'healthy' | 'deploying' | 'degraded' | 'down' | 'unknown';

/** One environment in a status snapshot: the `status --json` shape of PRODUCT.md section 6. */
export interface EnvironmentStatus {
  readonly name: EnvironmentName;
  readonly profile: string;
  readonly imageTag: string | null;
  readonly endpoint: string | null;
  readonly service: {
    readonly running: number;
    readonly desired: number;
    readonly pending: number;
    readonly rolloutState: string | null;
  } | null;
  readonly targets: { readonly healthy: number; readonly unhealthy: number; readonly other: number } | null;
  readonly health: Health;
  /** Why the environment is not healthy, in words (stopped tasks' reasons, unhealthy targets). */
  readonly reason?: string | null;
  /** Null, or why this environment could not be read. */
  readonly error: string | null;
  /** ISO time each part was read, so a screen can show its age. */
  readonly readAt?: { readonly service?: string; readonly targets?: string; readonly stage?: string };
}

/** One snapshot of the whole stack: the object `status --json` prints. */
export interface StatusSnapshot {
  readonly stackName: string;
  readonly region: string;
  readonly account?: string | null;
  readonly stackStatus: string | null;
  readonly fetchedAt: string;
  readonly environments: readonly EnvironmentStatus[];
  /** Null, or why the stack itself could not be read (credentials, throttling). */
  readonly error?: string | null;
}
