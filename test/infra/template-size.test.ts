/**
 * The inline template limit, decided by the real cdk: cdk sends a template of
 * up to 50 KiB of YAML inline and needs the bootstrap bucket above that. Our
 * measure (synth's templateBodySize, bootstrapRequired and the pre-flight's
 * refusal) must put the line where cdk does: the largest allow-list our
 * measure calls inline deploys through the real cdk against a fake account
 * with no bootstrap stack, and one CIDR more is refused by cdk as too large.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStack } from '../../src/infra/synth.js';
import { INLINE_TEMPLATE_LIMIT } from '../../src/infra/names.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { runCdkProcess } from '../helpers/real-cdk.js';
import { tempDir } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

let fake: FakeAws;
beforeAll(async () => {
  fake = await startFakeAws(deployedScenario(null, { bootstrapped: false }));
});
afterAll(async () => fake.close());

const allowList = (n: number) => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).join(',');

function synth(cidrs: number) {
  const list = allowList(cidrs);
  return synthesizeStack(stackProfiles({ prod: { webhookAllowList: list }, dev: { webhookAllowList: list } }), join(tempDir(), 'assembly'));
}

function cdkDeploy(assemblyDir: string) {
  return runCdkProcess(['deploy', '--app', assemblyDir, '--require-approval', 'never', '--no-notices', '--no-version-reporting', '--ci', STACK], { CI: 'true', NO_COLOR: '1', ...fake.env });
}

describe('the inline template limit, as the real cdk draws it', { timeout: 180_000 }, () => {
  it('our measure and cdk agree on both sides of 50 KiB', async () => {
    // The largest allow-list whose template our measure keeps inline (bisection; sizes grow with the list).
    let low = 0;
    let high = 400;
    expect(synth(low).bootstrapRequired).toBe(false);
    expect(synth(high).bootstrapRequired).toBe(true);
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      if (synth(mid).bootstrapRequired) high = mid;
      else low = mid;
    }
    const under = synth(low);
    const over = synth(high);
    expect(under.templateBodySize).toBeLessThanOrEqual(INLINE_TEMPLATE_LIMIT);
    expect(over.templateBodySize).toBeGreaterThan(INLINE_TEMPLATE_LIMIT);

    fake.scenario = deployedScenario(null, { secrets: [], bootstrapped: false });
    const inline = await cdkDeploy(under.assemblyDir);
    expect(inline.status, inline.output).toBe(0);
    const sent = fake.calls.matching('CreateChangeSet').at(-1)!.input as { TemplateBody?: string };
    expect(sent.TemplateBody?.length).toBe(under.templateBodySize);

    fake.scenario = deployedScenario(null, { secrets: [], bootstrapped: false });
    const tooLarge = await cdkDeploy(over.assemblyDir);
    expect(tooLarge.status).not.toBe(0);
    expect(tooLarge.output).toMatch(/Templates larger than 50KiB must be uploaded to S3/);
    expect(fake.scenario.stacks[STACK]).toBeUndefined();
  });
});
