/**
 * What a running deploy reports, as data: the stack's resource events parsed
 * from cdk's output, the service's rollout, the deploy's phases. Produced in
 * src/infra (the cdk runner and the deploy), consumed by the dashboard's
 * reducer and screens; kept here so that state and ui need nothing of infra.
 */

export interface ResourceEvent {
  readonly stack: string;
  readonly done: number;
  readonly total: number;
  readonly time: string;
  readonly status: string;
  readonly resourceType: string;
  readonly logicalId: string;
  /** The construct path (`Dev/Service/Service`) when cdk printed one. */
  readonly constructPath?: string;
  readonly reason?: string;
}

export interface RolloutStatus {
  readonly rolloutState: string | null;
  readonly running: number;
  readonly desired: number;
  readonly pending: number;
  readonly reason?: string;
}

export type DeployEvent =
  | { readonly type: 'phase'; readonly phase: 'secret'; readonly secret: string }
  | { readonly type: 'phase'; readonly phase: 'deploying' | 'recording' | 'done' }
  | { readonly type: 'line'; readonly line: string }
  | { readonly type: 'resource'; readonly event: ResourceEvent }
  | { readonly type: 'rollout'; readonly rollout: RolloutStatus };
