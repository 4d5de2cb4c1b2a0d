/**
 * Upgrading a stack the older benchling-webhook tool made: the fake
 * CloudFormation holds the stack created from the older tool's own template
 * (test/fixtures/older-tool, synthesized from its source at v0.6.2 and
 * v0.18.0), then the built `benchling-deploy` runs the real aws-cdk CLI over
 * it. The REST API must be updated, not replaced, so the endpoint stays; and
 * whatever the deploy does replace must have been announced by its plan.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCliAsync, type CliResult } from '../helpers/cli.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import type { FakeStack } from '../fake-aws/scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'older-tool');
const olderTemplate = (version: string): Record<string, any> => JSON.parse(readFileSync(join(FIXTURES, `v${version}.template.json`), 'utf8'));
/** Resources whose replacement interrupts or moves what Benchling calls. */
const SERVING = ['AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Stage', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ECS::Service'];

/** Each test puts the older tool's stack in the fake (world()); the CLI reaches it through the environment given to it. */
const { fake } = useFakeAws({ scenario: () => deployedScenario(null), processEnv: false });

interface World {
  run(args: string[]): Promise<CliResult>;
}

/** The older tool's stack in the fake, and a config folder as `migrate` leaves it (prod's profile, and dev's when asked). */
function world(template: Record<string, any>, options: { dev?: boolean; stackName?: string } = {}): World & { dir: string } {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  writeJson(dir, 'default.json', prodProfile({ imageTag: '0.8.0', ...(options.stackName ? { stackName: options.stackName } : {}) }));
  if (options.dev) writeJson(dir, 'dev.json', devProfile());
  fake.scenario = deployedScenario(template, { secrets: ['quiltdata/benchling-webhook/default/acme', 'quiltdata/benchling-webhook/dev/acme-dev'] });
  return {
    dir,
    run: async (args) => {
      mkdirSync(tmp, { recursive: true });
      return runCliAsync(['--config-dir', dir, ...args], { env: { ...fake.env, TMPDIR: tmp } });
    },
  };
}

const stack = (): FakeStack => fake.scenario.stacks[STACK];
/** The plan row `label` of a command's output. */
const row = (stdout: string, label: string): string | undefined => stdout.split('\n').find((l) => l.startsWith(`  ${label.padEnd(9)} `))?.slice(12);

/**
 * What the deploy really replaced of what serves requests: each serving
 * resource of the stack before that is gone after, or has another physical id.
 */
function replacedBetween(before: FakeStack, after: FakeStack): string[] {
  return Object.entries(before.resources ?? {})
    .filter(([, r]) => SERVING.includes(r.type))
    .filter(([id, r]) => after.resources?.[id] === undefined || after.resources[id].physicalId !== r.physicalId)
    .map(([id]) => id)
    .sort();
}

describe.each(['0.6.2', '0.18.0'])('upgrading the older tool\'s v%s stack', { timeout: 180_000 }, (version) => {
  it('deploy --environment prod: the REST API and its prod stage are updated, not replaced; ProdEndpoint is the older WebhookEndpoint; every replacement was announced (v0.18.0: then dev joins on its own deploy)', async () => {
    const w = world(olderTemplate(version), { dev: true });
    const before = structuredClone(stack());
    const olderEndpoint = before.outputs.WebhookEndpoint;
    const apiId = before.outputs.ApiGatewayId ?? olderEndpoint.slice('https://'.length, 'https://'.length + 10);

    // The first upgrade deploys prod: dev is refused before anything runs.
    const early = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(early.status, early.stderr).toBe(2);
    expect(early.stderr).toMatch(new RegExp(`made by the older benchling-webhook tool \\(${version.replace(/\./g, '\\.')}\\).*first upgrade deploys prod`));

    // --yes alone does not confirm replacing the load balancer and the running service.
    const refused = await w.run(['deploy', '--environment', 'prod', '--yes']);
    expect(refused.status, refused.stderr + refused.stdout).toBe(2);
    expect(refused.stderr).toMatch(/--allow-replacement/);
    expect(stack().status).toBe(before.status);
    expect(stack().resources).toEqual(before.resources);

    const r = await w.run(['deploy', '--environment', 'prod', '--yes', '--allow-replacement']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(row(r.stdout, 'upgrade')).toMatch(new RegExp(`older benchling-webhook tool \\(${version.replace(/\./g, '\\.')}\\): upgraded in place`));
    expect(row(r.stdout, 'endpoint')).toBe(`${olderEndpoint} -> ${olderEndpoint.replace(/\/$/, '')} (the same API and stage: unchanged)`);
    expect(row(r.stdout, 'interrupt')).toMatch(/^none expected: the prod stage keeps serving the running service until the new prod service is healthy/);
    expect(row(r.stdout, 'dev later')).toMatch(/dev is not part of this upgrade/);
    expect(r.stdout).toMatch(/image\s+0\.\d+\.\d+ -> 0\.8\.0/);

    const after = stack();
    expect(after.status).toBe('UPDATE_COMPLETE');
    // The same API, so the same URL: ProdEndpoint is the older WebhookEndpoint (which ends in /).
    expect(after.outputs.ApiId).toBe(apiId);
    expect(after.outputs.ProdEndpoint).toBe(olderEndpoint.replace(/\/$/, ''));
    expect(Object.keys(fake.scenario.restApis)).toEqual([apiId]);
    // dev joins on its own first deploy.
    expect(after.outputs.DevServiceName).toBeUndefined();

    // What was replaced is exactly what the plan said: a replacement it did not announce fails here.
    const announced = [...(row(r.stdout, 'replaces') ?? '').matchAll(/(?:api|load balancer|prod service) (\w+) \(/g)].map((m) => m[1]).sort();
    const replaced = replacedBetween(before, after);
    expect(replaced.length).toBeGreaterThan(0);
    expect(announced).toEqual(replaced);
    // And everything else of the older stack that is gone was counted in the plan.
    const gone = Object.keys(before.resources ?? {}).filter((id) => after.resources?.[id] === undefined);
    expect(row(r.stdout, 'deletes')).toMatch(new RegExp(`^${gone.length - announced.length} more resources the new template does not hold, once the update is done: .*\\d AWS::ECS::Cluster`));
    const kept = Object.entries(before.resources ?? {}).filter(([, x]) => x.type === 'AWS::ApiGateway::RestApi' || x.type === 'AWS::ApiGateway::Stage').map(([id]) => id);
    for (const id of kept) expect(replaced, id).not.toContain(id);

    // The prod stage moved to the new deployment only after the new prod service was created (and steady).
    const events = [...after.events].reverse();
    const stageId = kept.find((id) => before.resources![id].type === 'AWS::ApiGateway::Stage')!;
    const serviceId = Object.entries(after.resources ?? {}).find(([, x]) => x.physicalId.endsWith(after.outputs.ProdServiceName))?.[0];
    const at = (id: string | undefined, status: string) => events.findIndex((e) => e.logicalResourceId === id && e.resourceStatus === status);
    expect(at(serviceId, 'CREATE_COMPLETE')).toBeGreaterThan(-1);
    expect(at(stageId, 'UPDATE_IN_PROGRESS')).toBeGreaterThan(at(serviceId, 'CREATE_COMPLETE'));

    // dev joins on its own first deploy; the ids taken over stay, so nothing that serves is replaced now.
    if (version !== '0.18.0') return;
    const dev = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(dev.status, dev.stderr + dev.stdout).toBe(0);
    expect(row(dev.stdout, 'replaces')).toBeUndefined();
    expect(stack().outputs.ApiId).toBe(apiId);
    expect(stack().outputs.ProdEndpoint).toBe(olderEndpoint.replace(/\/$/, ''));
    expect(stack().outputs.DevEndpoint).toBe(`https://${apiId}.execute-api.us-east-1.amazonaws.com/dev`);
  });
});

describe('an older stack whose URL cannot be kept', { timeout: 180_000 }, () => {
  it('a version outside v0.6 to v0.18: the plan says the API is replaced, the URL is new, and offers the side-by-side path; --yes alone is refused', async () => {
    const template = olderTemplate('0.6.2');
    template.Outputs.StackVersion.Value = '0.5.4';
    const w = world(template);
    const before = structuredClone(stack());
    const r = await w.run(['deploy', '--environment', 'prod', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(2);
    expect(row(r.stdout, 'upgrade')).toMatch(/\(0\.5\.4\), a version outside 0\.6\.0 to 0\.18\.x: nothing of it can be kept/);
    expect(row(r.stdout, 'endpoint')).toBe(`${before.outputs.WebhookEndpoint} -> a new URL, known once the new API exists`);
    expect(row(r.stdout, 'replaces')).toMatch(/^api BenchlingWebhookAPI8A262423 \(not in the new template/);
    expect(row(r.stdout, 'interrupt')).toMatch(/calls to the old URL fail once the old API is deleted/);
    expect(row(r.stdout, 'instead')).toMatch(/deploy side by side: .*test --environment prod --stack-name BenchlingWebhookStack.*destroy --stack-name BenchlingWebhookStack/);
    expect(r.stderr).toMatch(/--allow-replacement/);
    expect(stack().resources).toEqual(before.resources);
  });

  it('the side-by-side path: test --stack-name reaches the old stack\'s endpoint, destroy --stack-name deletes it and marks its records destroyed', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/prod/health' ? 200 : 404).end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      // The new stack has its own name in the profile; the old one is the older tool's.
      const w = world(olderTemplate('0.6.2'), { stackName: 'BenchlingWebhookStackNext' });
      stack().outputs.WebhookEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod/`;
      const records = join(w.dir, 'deploy.json');
      writeFileSync(records, JSON.stringify({ prod: { webhookEndpoint: stack().outputs.WebhookEndpoint, imageTag: '0.6.2', deployedAt: '2026-10-01T00:00:00.000Z', stackArn: stack().stackId } }));
      const tested = await w.run(['test', '--environment', 'prod', '--stack-name', STACK]);
      expect(tested.status, tested.stderr).toBe(0);
      expect(tested.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/prod\/health -> 200/);
      const bad = await w.run(['test', '--environment', 'prod', '--stack-name', 'not a stack']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--stack-name: "not a stack" is not a CloudFormation stack name/);

      const refused = await w.run(['destroy', '--stack-name', STACK]);
      expect(refused.status).toBe(2);
      expect(stack().status).toBe('CREATE_COMPLETE');
      const destroyed = await w.run(['destroy', '--stack-name', STACK, '--yes']);
      expect(destroyed.status, destroyed.stderr + destroyed.stdout).toBe(0);
      expect(destroyed.stdout).toContain(`destroy: stack ${STACK} in us-east-1`);
      expect(stack().status).toBe('DELETE_COMPLETE');
      expect(fake.calls.count('DeleteStack')).toBe(1);
      expect(JSON.parse(readFileSync(records, 'utf8')).prod.destroyedAt).toMatch(/^\d{4}-/);
    } finally {
      server.close();
    }
  });
});
