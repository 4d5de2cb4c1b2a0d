import { describe, expect, it } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { StackProfiles } from '../../src/config/pairing.js';
import { listAcknowledgements } from '../../src/infra/nag.js';
import { WebhookStack } from '../../src/infra/webhook-stack.js';
import { stackProfiles } from './stack-helpers.js';

/** The pack with acknowledgements ignored: every finding the stack would have without them. */
class UnacknowledgedAwsSolutionsChecks extends AwsSolutionsChecks {
  constructor() {
    super(undefined as never);
    (this as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  }
}

const CASES: [string, () => StackProfiles][] = [
  ['dev and prod, both with allow-lists', () => stackProfiles({ prod: { webhookAllowList: '203.0.113.0/24' }, dev: { webhookAllowList: '192.0.2.0/28' } })],
  ['prod only, no allow-list', () => stackProfiles({ dev: false })],
];

describe.each(CASES)('cdk-nag AwsSolutions, %s', (_name, profiles) => {
  it('synthesizes with the pack registered: zero unacknowledged findings', () => {
    const app = new App({ builtinCloudFormationValidation: false, treeMetadata: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new WebhookStack(app, 'BenchlingWebhookStack', { profiles: profiles() });
    // A finding fails synthesis with the report; success means none is left.
    expect(() => app.synth()).not.toThrow();
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });

  it('acknowledges exactly what the pack finds: no finding without a reason, no reason without a finding', () => {
    const app = new App({ builtinCloudFormationValidation: false, treeMetadata: false });
    const stack = new WebhookStack(app, 'BenchlingWebhookStack', { profiles: profiles() });
    const raw = new UnacknowledgedAwsSolutionsChecks().validateScope(stack).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath! })),
    );
    const acks = listAcknowledgements(stack).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(raw.length).toBeGreaterThan(0);
    const covers = (ackPath: string, findingPath: string) => findingPath === ackPath || findingPath.startsWith(`${ackPath}/`);
    const unexplained = raw.filter((f) => !acks.some((a) => a.id === f.id && covers(a.path, f.path)));
    const unused = acks.filter((a) => !raw.some((f) => f.id === a.id && covers(a.path, f.path)));
    expect(unexplained).toEqual([]);
    expect(unused).toEqual([]);
    for (const a of acks) expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(30);
  });
});
