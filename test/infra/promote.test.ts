import { describe, expect, it } from 'vitest';
import { decidePromote, type PromoteFacts } from '../../src/infra/promote.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const REPO = '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling';
const img = (digest: string | null, tag = 'latest', repo = REPO) => ({ container: 'Webhook', image: `${repo}:${tag}`, digest });

const facts = (o: Partial<PromoteFacts> = {}): PromoteFacts => ({
  devRollout: { rolloutState: 'COMPLETED', running: 1, desired: 1, pending: 0 },
  devTargets: { healthy: 1, unhealthy: 0, other: 0 },
  devImages: [img(D1), { container: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', digest: D2 }],
  devTag: 'latest',
  prodTag: '0.7.0',
  prodImages: [img(D2, '0.7.0')],
  devRepository: REPO,
  prodRepository: REPO,
  ...o,
});

describe('decidePromote', () => {
  it('promotes the digest dev runs, not its moving tag', () => {
    expect(decidePromote(facts())).toEqual({ ok: true, digest: D1, devTag: 'latest', prodTag: '0.7.0' });
  });
  const refusals: [string, Partial<PromoteFacts>, RegExp][] = [
    ['no dev service', { devRollout: undefined }, /deploy dev first/],
    ['dev scaled to zero', { devRollout: { rolloutState: 'COMPLETED', running: 0, desired: 0, pending: 0 } }, /dev is not running/],
    ['dev rolling out', { devRollout: { rolloutState: 'IN_PROGRESS', running: 1, desired: 2, pending: 1 } }, /dev is not healthy: rollout IN_PROGRESS/],
    ['dev failed', { devRollout: { rolloutState: 'FAILED', running: 1, desired: 1, pending: 0, reason: 'circuit breaker' } }, /rollout FAILED.*circuit breaker/],
    ['dev targets failing health checks', { devTargets: { healthy: 0, unhealthy: 1, other: 0 } }, /0 of 1 targets healthy, 1 unhealthy/],
    [
      'every dev task running and healthy, but one more dev target unhealthy',
      { devRollout: { rolloutState: 'COMPLETED', running: 2, desired: 2, pending: 0 }, devTargets: { healthy: 2, unhealthy: 1, other: 0 } },
      /dev is not healthy: 2 of 2 targets healthy, 1 unhealthy/,
    ],
    ['dev targets still registering', { devTargets: { healthy: 0, unhealthy: 0, other: 1 } }, /0 of 1 targets healthy/],
    ['dev targets unreadable', { devTargets: undefined }, /targets could not be read/],
    ['two images in dev', { devImages: [img(D1), img(D2)] }, /2 different images/],
    ['no digest reported', { devImages: [img(null)] }, /does not report the image digest/],
    ['prod already on it by tag', { prodTag: D1 }, /prod already runs that image/],
    ['prod already on it by running digest', { prodImages: [img(D1, '0.7.1')] }, /prod already runs that image/],
    ['different repositories', { devRepository: `${REPO}-dev`, devImages: [img(D1, 'latest', `${REPO}-dev`)] }, /may not exist where prod pulls from/],
    ['no webhook container from the repository', { devImages: [img(D1, 'latest', 'other.example/x')] }, /run no image from 712023778557/],
  ];
  for (const [what, o, reason] of refusals) {
    it(`refuses: ${what}`, () => {
      const d = decidePromote(facts(o));
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.reason).toMatch(reason);
    });
  }
});
