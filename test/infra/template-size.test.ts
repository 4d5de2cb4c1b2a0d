/**
 * The inline template limit, decided by the real cdk: cdk sends a template of
 * up to 50 KiB of YAML inline and refuses to send a larger one inline. Our
 * measure (synth's templateBodySize and bootstrapRequired, the synthesizer's
 * choice, the pre-flight's refusal) must put the line where cdk does: the
 * largest allow-list our measure keeps inline deploys through the real cdk
 * inline into an account with no bootstrap stack (had we measured short, cdk
 * would refuse it as too large), and with one CIDR more the template is the
 * stack's asset, which cdk publishes to the bootstrap bucket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesizeStack } from '../../src/infra/synth.js';
import { INLINE_TEMPLATE_LIMIT } from '../../src/config/names.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { runCdkProcess } from '../helpers/real-cdk.js';
import { QUILT_ARN, tempDir } from '../helpers/fixtures.js';
import { quiltProfileFields } from '../fake-aws/project-stack.js';
import { stackProfiles } from './stack-helpers.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const { fake } = useFakeAws({ scenario: () => deployedScenario(null, { bootstrapped: false }), processEnv: false });

const allowList = (n: number) => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).join(',');

function synth(cidrs: number) {
  const list = allowList(cidrs);
  // prod alone is under the line (dev and prod together are over it): the allow-list finds the line.
  return synthesizeStack(stackProfiles({ prod: { webhookAllowList: list, ...quiltProfileFields(QUILT_ARN) }, dev: false }), join(tempDir(), 'assembly'));
}

function cdkDeploy(assemblyDir: string) {
  return runCdkProcess(['deploy', '--app', assemblyDir, '--require-approval', 'never', '--no-notices', '--no-version-reporting', '--ci', STACK], { CI: 'true', NO_COLOR: '1', ...fake.env });
}

describe('the inline template limit, as the real cdk draws it', { timeout: 180_000 }, () => {
  it('our measure and cdk agree on both sides of 50 KiB', async () => {
    // The largest allow-list whose template our measure keeps inline (bisection; sizes grow with the list).
    let low = 0;
    let high = 800;
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

    expect(fake.calls.count({ service: 's3' })).toBe(0);

    // One CIDR more: the template is the stack's asset, which cdk publishes (and could not without the bootstrap bucket).
    const manifest = JSON.parse(readFileSync(join(over.assemblyDir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts[STACK].properties.stackTemplateAssetObjectUrl).toMatch(/^s3:\/\/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/[0-9a-f]{64}\.json$/);
    expect(over.assets).toEqual([]);
    fake.scenario = deployedScenario(null, { secrets: [], bootstrapped: false });
    const unbootstrapped = await cdkDeploy(over.assemblyDir);
    expect(unbootstrapped.status).not.toBe(0);
    expect(unbootstrapped.output).toMatch(/No bucket named 'cdk-hnb659fds-assets-123456789012-us-east-1'\. Is account 123456789012 bootstrapped\?/);
    expect(fake.scenario.stacks[STACK]).toBeUndefined();
    fake.scenario = deployedScenario(null, { secrets: [] });
    fake.calls.reset();
    const uploaded = await cdkDeploy(over.assemblyDir);
    expect(uploaded.status, uploaded.output).toBe(0);
    expect((fake.calls.matching('CreateChangeSet').at(-1)!.input as { TemplateURL?: string }).TemplateURL).toMatch(/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.json$/);
    expect(fake.scenario.stacks[STACK].status).toBe('CREATE_COMPLETE');
  });
});
