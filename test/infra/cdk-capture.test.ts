/**
 * The real aws-cdk CLI's output, kept in test/fixtures/cdk-capture/ (see
 * capture.mjs there) and checked here: each run below is the real cdk from
 * node_modules, run as the product runs it (src/infra/deploy.ts: `--app
 * <assembly> --no-notices --no-version-reporting --ci ... --progress events`)
 * against the fake AWS holding the project's stack, and its normalized output
 * must equal the capture byte for byte. A cdk upgrade that changes what cdk
 * prints fails here, and the stand-in cdk (test/fixtures/fake-cdk.mjs), which
 * replays these captures, cannot drift from the real one unnoticed.
 *
 * To regenerate after such a change (and review the diff of the folder):
 *
 *     npm run build && UPDATE_CDK_CAPTURE=1 npx vitest run test/infra/cdk-capture.test.ts
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { CDK_CLI, runCdkProcess } from '../helpers/real-cdk.js';
import { tempDir } from '../helpers/fixtures.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import type { CfnSettings, Scenario } from '../fake-aws/scenario.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import { CAPTURE_DIR, MANIFEST, normalize, readCapture, firstLines, type CaptureManifest } from '../fixtures/cdk-capture/capture.mjs';
import { parseResourceEvent } from '../../src/infra/cdk-output.js';
import { waitFor } from '../helpers/wait.js';

const UPDATE = process.env.UPDATE_CDK_CAPTURE === '1';
const CDK_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'aws-cdk', 'package.json'), 'utf8')) as { version: string }).version;
const STAND_IN = fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url));
/** The dev service's logical id in the project's template: what the circuit breaker fails. */
const DEV_SERVICE = 'DevServiceB35D2857';
const CIRCUIT_BREAKER = 'Resource handler returned message: "Circuit breaker triggered"';

let project: ProjectStack;
let fake: FakeAws;

beforeAll(async () => {
  project = await synthProjectStack({ dev: { benchlingTenant: 'acme' } });
  fake = await startFakeAws(deployedScenario(project.template));
});
afterAll(async () => fake?.close());

interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface CdkRun extends Run {
  /** The stack's outputs and its resources' physical ids, before and after the run: what normalizing replaces. */
  readonly values: { outputs: Record<string, string>; physicalIds: Record<string, string[]> };
}

/** The stack's outputs and physical ids by logical id, as the fake holds them now. */
function stackValues(scenario: Scenario): { outputs: Record<string, string>; physicalIds: Record<string, string> } {
  const stack = scenario.stacks[STACK];
  return { outputs: { ...stack.outputs }, physicalIds: Object.fromEntries(Object.values(stack.resources ?? {}).map((r) => [r.logicalId, r.physicalId])) };
}

/** A command (the real cdk, or the stand-in) with exactly `env`, stdout and stderr apart. */
async function run(script: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  const r = await runCdkProcess(args, env, { script });
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `cdk deploy` as src/infra/deploy.ts runs it, for the dev image tag `tag`; the paths in the arguments as placeholders. */
function deployArgs(tag: string): string[] {
  return ['deploy', '--app', '⟪assembly⟫', '--no-notices', '--no-version-reporting', '--ci', '--parameters', `${STACK}:DevImageTag=${tag}`, '--require-approval', 'never', '--progress', 'events', '--outputs-file', '⟪outputs-file⟫', STACK];
}

/** `cdk diff` as src/infra/deploy.ts runs it for the plan: this environment's parameters and the other's current ones. */
function diffArgs(devTag: string): string[] {
  return ['diff', '--app', '⟪assembly⟫', '--no-notices', '--no-version-reporting', '--ci', '--parameters', `${STACK}:ProdImageTag=0.7.0`, '--parameters', `${STACK}:DevImageTag=${devTag}`, STACK];
}

/** The arguments with the assembly and a fresh outputs file for their placeholders. */
const concrete = (args: readonly string[]) => args.map((a) => a.replace('⟪assembly⟫', project.assemblyDir).replace('⟪outputs-file⟫', join(tempDir('bd-capture-out-'), 'outputs.json')));

/** Runs the real cdk with `args` against the fake (its scenario reset to the deployed stack first, with `cfn`). */
async function realCdk(args: readonly string[], cfn: CfnSettings = {}): Promise<CdkRun> {
  fake.scenario = deployedScenario(project.template);
  fake.scenario.cfn = { ...fake.scenario.cfn, ...cfn };
  const before = stackValues(fake.scenario);
  const result = await run(CDK_CLI, concrete(args), fake.env);
  const after = stackValues(fake.scenario);
  const physicalIds: Record<string, string[]> = {};
  for (const ids of [before.physicalIds, after.physicalIds]) for (const [logicalId, id] of Object.entries(ids)) (physicalIds[logicalId] ??= []).push(id);
  return { ...result, values: { outputs: { ...before.outputs, ...after.outputs }, physicalIds } };
}

/** Checks a run against the capture `name`, or (UPDATE_CDK_CAPTURE=1) writes it. */
function checkCapture(name: string, description: string, args: readonly string[], result: CdkRun): void {
  const stdout = normalize(result.stdout, result.values);
  const stderr = normalize(result.stderr, result.values);
  if (UPDATE) {
    writeFileSync(join(CAPTURE_DIR, `${name}.stdout`), stdout);
    writeFileSync(join(CAPTURE_DIR, `${name}.stderr`), stderr);
    const manifest: CaptureManifest = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, 'utf8')) : { cdkVersion: CDK_VERSION, captures: {} };
    const captures = { ...manifest.captures, [name]: { description, args, exitCode: result.exitCode ?? -1 } };
    writeFileSync(MANIFEST, `${JSON.stringify({ cdkVersion: CDK_VERSION, captures: Object.fromEntries(Object.entries(captures).sort(([a], [b]) => a.localeCompare(b))) }, null, 2)}\n`);
  }
  if (!existsSync(join(CAPTURE_DIR, `${name}.stdout`))) throw new Error(`no capture "${name}" in ${CAPTURE_DIR}: run with UPDATE_CDK_CAPTURE=1 to write it`);
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as CaptureManifest;
  const stored = readCapture(name);
  const hint = `cdk ${CDK_VERSION} (the capture is of ${manifest.cdkVersion}) no longer prints what test/fixtures/cdk-capture/${name}.* holds; if that is cdk's doing, regenerate with UPDATE_CDK_CAPTURE=1 and review the diff. Real output:\n${result.stdout}\n${result.stderr}`;
  expect(manifest.captures[name].args, hint).toEqual(args);
  expect(result.exitCode, hint).toBe(stored.exitCode);
  expect(stdout, hint).toBe(stored.stdout);
  expect(stderr, hint).toBe(stored.stderr);
}

/** The resource events of an output, as the product reads them. */
const eventsOf = (text: string) => text.split('\n').map(parseResourceEvent).filter((e) => e !== undefined);

describe('real cdk output equals the captures the stand-in replays', { timeout: 120_000 }, () => {
  it('deploy-update: a successful `cdk deploy --progress events` of a new dev image', async () => {
    const args = deployArgs('0.0.2');
    const result = await realCdk(args);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    // The run did what the capture says it did: dev's image changed, through cdk.
    expect(fake.scenario.stacks[STACK]).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { DevImageTag: '0.0.2' } });
    checkCapture('deploy-update', 'cdk deploy of a new dev image tag: dev task definition replaced, dev service updated', args, result);
    const events = eventsOf(readCapture('deploy-update').stdout);
    expect(events).toContainEqual(expect.objectContaining({ status: 'UPDATE_COMPLETE', resourceType: 'AWS::ECS::Service', constructPath: 'Dev/Service/Service', logicalId: DEV_SERVICE, time: '⟪time⟫' }));
    expect(events.at(-1)).toMatchObject({ status: 'UPDATE_COMPLETE', resourceType: 'AWS::CloudFormation::Stack', logicalId: STACK });
    // Every output the stack has, as a placeholder: no physical id of this run is kept.
    for (const key of Object.keys(fake.scenario.stacks[STACK].outputs)) expect(readCapture('deploy-update').stdout).toContain(`${STACK}.${key} = ⟪output:${key}⟫\n`);
    expect(readCapture('deploy-update').stdout).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/BenchlingWebhookStack\/⟪stack-uuid⟫$/m);
  });

  it('deploy-circuit-breaker: `cdk deploy` whose dev service fails; the stack rolls back and cdk exits 1', async () => {
    const args = deployArgs('0.0.2');
    const result = await realCdk(args, { failResource: { logicalId: DEV_SERVICE, reason: CIRCUIT_BREAKER } });
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    expect(fake.scenario.stacks[STACK]).toMatchObject({ status: 'UPDATE_ROLLBACK_COMPLETE', parameters: { DevImageTag: 'latest' } });
    checkCapture('deploy-circuit-breaker', `cdk deploy of a new dev image tag whose ${DEV_SERVICE} update fails (fake: cfn.failResource)`, args, result);
    const captured = readCapture('deploy-circuit-breaker');
    expect(eventsOf(captured.stdout)).toContainEqual(expect.objectContaining({ status: 'UPDATE_FAILED', logicalId: DEV_SERVICE, reason: CIRCUIT_BREAKER }));
    expect(captured.stderr).toMatch(/❌ +BenchlingWebhookStack failed to deploy/);
  });

  it('diff-dev-image: `cdk diff` of a new dev image, as the plan runs it', async () => {
    const args = diffArgs('0.0.3');
    const result = await realCdk(args);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    checkCapture('diff-dev-image', 'cdk diff of a new dev image tag, prod kept at its current tag', args, result);
    expect(readCapture('diff-dev-image').stdout + readCapture('diff-dev-image').stderr).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinition\w+ replace/);
  });

  it('the stand-in cdk replays them: its output, normalized, is the capture; a hung one shows the first lines', async () => {
    const values = stackValues(deployedScenario(project.template));
    const env = { FAKE_CDK_OUTPUTS: JSON.stringify(values.outputs), FAKE_CDK_PHYSICAL_IDS: JSON.stringify(values.physicalIds) };
    for (const [name, mode, args] of [
      ['deploy-update', 'success', deployArgs('0.0.2')],
      ['deploy-circuit-breaker', 'fail', deployArgs('0.0.2')],
      ['diff-dev-image', 'success', diffArgs('0.0.3')],
    ] as const) {
      const replay = await run(STAND_IN, concrete(args), { ...env, FAKE_CDK_MODE: mode });
      expect({ exitCode: replay.exitCode, stdout: normalize(replay.stdout, values), stderr: normalize(replay.stderr, values) }, name).toEqual(readCapture(name));
    }
    // The outputs file it writes holds the stack's outputs, as cdk writes it.
    const outputsFile = join(tempDir('bd-capture-out-'), 'outputs.json');
    await run(STAND_IN, ['deploy', '--outputs-file', outputsFile, STACK], env);
    expect(JSON.parse(readFileSync(outputsFile, 'utf8'))).toEqual({ [STACK]: values.outputs });

    // Stopped mid-deploy: what it printed is the capture's start, up to and with the first resource event.
    const start = firstLines(readCapture('deploy-update').stdout);
    expect(eventsOf(start)).toEqual([expect.objectContaining({ status: 'UPDATE_IN_PROGRESS', resourceType: 'AWS::CloudFormation::Stack' })]);
    const hung = spawn(process.execPath, [STAND_IN, 'deploy', STACK], { env: { PATH: process.env.PATH, FAKE_CDK_MODE: 'hang' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise((resolve) => hung.on('close', (code, signal) => resolve(code ?? signal)));
    let printed = '';
    hung.stdout.on('data', (d) => (printed += d));
    await waitFor(() => normalize(printed) === start, 10_000, `the stand-in to print the start of deploy-update; it printed:\n${printed}`).catch(() => {
      throw new Error(`the stand-in printed, instead of the start of deploy-update:\n${printed}`);
    });
    hung.kill('SIGTERM');
    expect(await closed).toBe(143);
  });
});
