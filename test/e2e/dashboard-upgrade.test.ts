import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { cdkProcesses } from '../helpers/real-cdk.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';

/**
 * The dashboard's deploy of prod over the older tool's v0.18.0 stack
 * (test/fixtures/older-tool), in a real terminal: the plan says what it
 * replaces and that the endpoint stays, and it is confirmed only by typing
 * the stack's name.
 */

let fake: FakeAwsProcess;
let terminal: TmuxTerminal | undefined;
let dir: string | undefined;
beforeAll(async () => {
  fake = await startFakeAwsProcess();
});
afterAll(async () => fake?.stop());
afterEach(() => {
  terminal?.kill();
  if (dir) for (const pid of cdkProcesses(dir)) process.kill(pid, 'SIGKILL');
});

describe('the dashboard upgrading the older tool\'s stack', { timeout: 300_000 }, () => {
  it('d on prod: the plan names what is replaced and the unchanged endpoint; "prod" is not enough, the stack\'s name is asked', async () => {
    const template = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'older-tool', 'v0.18.0.template.json'), 'utf8'));
    const scenario = deployedScenario(template, { secrets: ['quiltdata/benchling-webhook/default/acme'] });
    const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
    expect(answer.error).toBeUndefined();
    const endpoint = scenario.stacks[STACK].outputs.WebhookEndpoint;
    dir = tempDir('bd-e2e-upgrade-');
    writeJson(dir, 'default.json', prodProfile({ imageTag: '0.8.0' }));
    const t = (terminal = new TmuxTerminal());
    t.start(
      `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)}; echo "EXIT=$?"; exec sleep 3600`,
      { ...fake.env, HOME: tempDir('bd-e2e-home-'), TMPDIR: dir, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      { columns: 200, rows: 50 },
    );
    await t.waitFor((s) => /prod/.test(s) && /q quit/.test(s), 'the main screen');
    t.send('d');
    const asked = await t.waitFor((s) => new RegExp(`Type "${STACK}" to confirm, enter to run:`).test(s), 'the question, once the diff is in', 180_000);
    expect(asked).toMatch(/upgrade\s+the stack was made by the older benchling-webhook tool \(0\.18\.0\): upgraded in place/);
    expect(asked).toContain(`${endpoint} -> ${endpoint.replace(/\/$/, '')} (the same API and stage: unchanged)`);
    expect(asked).toMatch(/replaces\s+prod service FargateServiceECC8084D .*load balancer NetworkLoadBalancerB1D18EA9/);
    expect(asked).toMatch(/interrupt\s+none expected/);
    t.send('prod', { literal: true });
    t.send('Enter');
    await t.waitFor((s) => new RegExp(`that is not "${STACK}"`).test(s), 'prod refused as the confirmation');
    t.send('Escape');
    await t.waitFor((s) => /q quit/.test(s) && !/Type "/.test(s), 'back to the main screen');
    // Nothing ran: the older stack is as it was.
    const after = (await fake.control('GET', '/__fake/scenario')) as { stacks: Record<string, { status: string; resources: unknown }> };
    expect(after.stacks[STACK].status).toBe('CREATE_COMPLETE');
    expect(after.stacks[STACK].resources).toEqual(JSON.parse(JSON.stringify(scenario.stacks[STACK].resources)));
    t.send('q');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0');
  });
});
