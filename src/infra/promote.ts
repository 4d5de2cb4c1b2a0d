import type { RolloutStatus } from './deploy.js';

type RunningImage = { readonly container: string; readonly image: string | null; readonly digest: string | null };

/** The webhook's containers: those whose image comes from the environment's repository. */
function webhookDigests(images: readonly RunningImage[], repository: string): Set<string | null> {
  return new Set(images.filter((i) => i.image !== null && (i.image.startsWith(`${repository}:`) || i.image.startsWith(`${repository}@`))).map((i) => i.digest));
}

export interface PromoteFacts {
  /** Dev's service rollout, or undefined when dev has no service. */
  readonly devRollout: RolloutStatus | undefined;
  /** Dev's load balancer targets; undefined when they could not be read. */
  readonly devTargets: { readonly healthy: number; readonly unhealthy: number; readonly other: number } | undefined;
  /** What dev's running tasks run. */
  readonly devImages: readonly RunningImage[];
  /** The tag dev was deployed with (a moving tag like `latest`, or a digest). */
  readonly devTag: string | null;
  /** The tag or digest prod runs now (its stack parameter). */
  readonly prodTag: string | null;
  /** What prod's running tasks run, to catch "already there" even under another tag. */
  readonly prodImages: readonly RunningImage[];
  readonly devRepository: string;
  readonly prodRepository: string;
}

export type PromoteDecision =
  | { readonly ok: true; readonly digest: string; readonly devTag: string | null; readonly prodTag: string | null }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether dev's running image may go to prod, and as which immutable
 * reference: the digest dev's tasks really run, so a moving tag in dev
 * becomes a pinned `sha256:` in prod.
 */
export function decidePromote(facts: PromoteFacts): PromoteDecision {
  const r = facts.devRollout;
  if (!r) return { ok: false, reason: 'dev has no running service to promote from; deploy dev first' };
  if (r.desired === 0 || r.running === 0) return { ok: false, reason: `dev is not running (${r.running}/${r.desired} tasks); nothing to promote` };
  if (r.rolloutState !== 'COMPLETED' || r.running !== r.desired || r.pending > 0) {
    return { ok: false, reason: `dev is not healthy: rollout ${r.rolloutState ?? 'unknown'}, ${r.running}/${r.desired} running${r.reason ? ` (${r.reason})` : ''}; wait for it to settle` };
  }
  const t = facts.devTargets;
  if (!t) return { ok: false, reason: 'dev\'s load balancer targets could not be read; try again' };
  if (t.unhealthy > 0 || t.healthy < r.running) {
    return { ok: false, reason: `dev is not healthy: ${t.healthy} of ${r.running} targets healthy${t.unhealthy > 0 ? `, ${t.unhealthy} unhealthy` : ''}; wait for its health checks to pass` };
  }
  if (facts.devRepository !== facts.prodRepository) {
    return { ok: false, reason: `dev pulls from ${facts.devRepository} but prod from ${facts.prodRepository}; the digest dev runs may not exist where prod pulls from` };
  }
  const digests = webhookDigests(facts.devImages, facts.devRepository);
  if (digests.size === 0) return { ok: false, reason: `dev's running tasks run no image from ${facts.devRepository}` };
  if (digests.has(null)) return { ok: false, reason: 'ECS does not report the image digest of dev\'s running tasks yet; try again in a minute' };
  if (digests.size > 1) return { ok: false, reason: `dev's tasks run ${digests.size} different images; wait for dev's rollout to finish` };
  const digest = [...digests][0]!;
  const prodDigests = webhookDigests(facts.prodImages, facts.prodRepository);
  if (facts.prodTag === digest || (prodDigests.size === 1 && prodDigests.has(digest))) {
    return { ok: false, reason: `prod already runs that image (${shortDigest(digest)})` };
  }
  return { ok: true, digest, devTag: facts.devTag, prodTag: facts.prodTag };
}

export function shortDigest(ref: string): string {
  return ref.startsWith('sha256:') ? `${ref.slice(0, 19)}…` : ref;
}
