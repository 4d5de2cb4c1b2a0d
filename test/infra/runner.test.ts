/**
 * runCdk, the product's one door to child processes. What the real aws-cdk
 * CLI can be made to do runs the real one from node_modules against the fake
 * AWS, whose CloudFormation holds the project's stack (seeded as a deploy
 * leaves it). The stand-in (test/fixtures/fake-cdk.mjs, which replays real cdk
 * output captured by cdk-capture.test.ts) only where the real one cannot be
 * made to: leave a child process behind, ignore SIGTERM; and to prove that an
 * already-cancelled run starts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCdk, CDK_BIN_OVERRIDE_ENV, LINE_MAX_CHARS, cdkExecutable } from '../../src/infra/runner.js';
import { tempDir } from '../helpers/fixtures.js';
import { isRunning, waitFor } from '../helpers/wait.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import type { CfnSettings } from '../fake-aws/scenario.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';

const FAKE_CDK = fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url));
const DEV_SERVICE = 'DevServiceB35D2857';

let project: ProjectStack;
let fake: FakeAws;
beforeAll(async () => {
  project = await synthProjectStack({ dev: { benchlingTenant: 'acme' } });
  fake = await startFakeAws(deployedScenario(project.template));
});
afterAll(async () => fake?.close());

/** The fake holding the freshly deployed stack, run as `cfn` says; the environment a real cdk needs to reach it (and nothing of the stand-in). */
function realCdkWorld(cfn: CfnSettings = {}): Record<string, string | undefined> {
  fake.scenario = deployedScenario(project.template);
  fake.scenario.cfn = { ...fake.scenario.cfn, ...cfn };
  return { ...fake.env, HOME: tempDir('bd-runner-home-'), AWS_PROFILE: undefined, [CDK_BIN_OVERRIDE_ENV]: undefined };
}

/** `cdk deploy` of a new dev image, as src/infra/deploy.ts runs it. */
const deployArgs = (tag: string) => ['deploy', '--app', project.assemblyDir, '--no-notices', '--no-version-reporting', '--ci', '--parameters', `${STACK}:DevImageTag=${tag}`, '--require-approval', 'never', '--progress', 'events', STACK];

describe('runCdk', { timeout: 60_000 }, () => {
  it('uses the aws-cdk CLI from node_modules unless the test stand-in is set', () => {
    expect(cdkExecutable({}).prefixArgs[0]).toMatch(/node_modules\/aws-cdk\/bin\/cdk$/);
    expect(cdkExecutable({ [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK }).prefixArgs[0]).toBe(FAKE_CDK);
  });

  it('streams lines, keeps the raw output in the log file, and reports success (the real cdk deploy)', async () => {
    const env = realCdkWorld({ stepMs: 0 });
    const dir = tempDir();
    const logFile = join(dir, 'logs', 'cdk.log');
    const lines: { line: string; stream: string }[] = [];
    const pids: (number | undefined)[] = [];
    const args = deployArgs('0.0.2');
    const r = await runCdk({ args, cwd: dir, logFile, env, onLine: (line, stream) => lines.push({ line, stream }), onProcess: (pid) => pids.push(pid) });
    expect(r.outcome, readFileSync(logFile, 'utf8')).toBe('succeeded');
    // It was the real cdk, and it deployed: dev's image changed in the fake's CloudFormation.
    expect(fake.scenario.stacks[STACK]).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { DevImageTag: '0.0.2' } });
    expect(lines).toContainEqual({ line: expect.stringMatching(/^BenchlingWebhookStack \| \d+\/\d+ \| .+ \| UPDATE_COMPLETE +\| AWS::ECS::Service +\| Dev\/Service\/Service \(DevServiceB35D2857\) $/), stream: 'stdout' });
    expect(lines.map((l) => l.line)).toContain(`✅  ${STACK}`);
    // stdout is every stdout line (--ci: cdk writes its progress there), each line whole.
    expect(r.stdout).toBe(lines.filter((l) => l.stream === 'stdout').map((l) => `${l.line}\n`).join(''));
    // The log holds the command, every line in the order it came, and how cdk ended: nothing else.
    expect(readFileSync(logFile, 'utf8')).toBe(`$ cdk ${args.join(' ')}\n${lines.map((l) => `${l.line}\n`).join('')}# exit 0\n`);
    // The process was announced (for the lock), then announced gone.
    expect(pids).toEqual([expect.any(Number), undefined]);
  });

  it('reports a failure with its exit code and the tail of the output (the real cdk, its dev service failing)', async () => {
    const env = realCdkWorld({ stepMs: 0, failResource: { logicalId: DEV_SERVICE, reason: 'Resource handler returned message: "Circuit breaker triggered"' } });
    const dir = tempDir();
    const stderr: string[] = [];
    const r = await runCdk({ args: deployArgs('0.0.2'), cwd: dir, logFile: join(dir, 'cdk.log'), env, onLine: (line, stream) => stream === 'stderr' && stderr.push(line) });
    expect(r.outcome).toBe('failed');
    if (r.outcome !== 'failed') return;
    expect(r.exitCode).toBe(1);
    expect(fake.scenario.stacks[STACK].status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(r.stderrTail).toMatch(/UPDATE_FAILED +\| AWS::ECS::Service +\| Dev\/Service\/Service \(DevServiceB35D2857\) Resource handler returned message: "Circuit breaker triggered"/);
    expect(stderr[0]).toMatch(/^❌ +BenchlingWebhookStack failed to deploy$/);
    expect(r.stderrTail.split('\n').length).toBeLessThanOrEqual(20);
    expect(readFileSync(join(dir, 'cdk.log'), 'utf8')).toMatch(/\n# exit 1\n$/);
  });

  it('cancel stops a real cdk mid-deploy with SIGTERM, well before the grace for SIGKILL', async () => {
    const env = realCdkWorld({ stepMs: 2_000 });
    const dir = tempDir();
    const controller = new AbortController();
    let pid: number | undefined;
    const started = runCdk({ args: deployArgs('0.0.2'), cwd: dir, logFile: join(dir, 'cdk.log'), env, signal: controller.signal, killGraceMs: 20_000, onProcess: (p) => (pid ??= p) });
    // cdk has executed its change set: the stack is updating, cdk waits for it.
    await waitFor(() => fake.scenario.stacks[STACK].status === 'UPDATE_IN_PROGRESS', 30_000, 'cdk to execute its change set');
    const abortedAt = Date.now();
    controller.abort();
    const r = await started;
    expect(r.outcome).toBe('cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    // cdk was stopped mid-deploy: CloudFormation goes on without it.
    expect(fake.scenario.stacks[STACK].status).toBe('UPDATE_IN_PROGRESS');
    expect(isRunning(pid!)).toBe(false);
    expect(readFileSync(join(dir, 'cdk.log'), 'utf8')).toMatch(/\n# exit (143|SIGTERM) \(cancelled\)\n$/);
  });

  it('cancel stops the whole process tree (stand-in: a cdk with a child process)', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'child.pid');
    const controller = new AbortController();
    const started = runCdk({
      args: ['deploy'],
      cwd: dir,
      logFile: join(dir, 'cdk.log'),
      signal: controller.signal,
      killGraceMs: 2_000,
      env: { [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_MODE: 'hang-with-child', FAKE_CDK_CHILD_PID_FILE: pidFile },
    });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 10_000, 'the child process');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(grandchild)).toBe(true);
    controller.abort();
    const r = await started;
    expect(r.outcome).toBe('cancelled');
    await waitFor(() => !isRunning(grandchild), 5_000, 'the child process to be gone');
  });

  it('a cdk that ignores SIGTERM is killed with SIGKILL after the grace (stand-in)', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const graceMs = 800;
    let pid: number | undefined;
    let abortedAt = 0;
    const r = await runCdk({
      args: ['deploy', STACK],
      cwd: dir,
      logFile: join(dir, 'cdk.log'),
      signal: controller.signal,
      killGraceMs: graceMs,
      onProcess: (p) => (pid ??= p),
      env: { [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_MODE: 'ignore-sigterm' },
      onLine: (line) => {
        // It prints once its SIGTERM handler is in place.
        if (line.includes('deploying...') && abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    const took = Date.now() - abortedAt;
    expect(r.outcome).toBe('cancelled');
    expect(took).toBeGreaterThanOrEqual(graceMs - 50);
    expect(took).toBeLessThan(graceMs + 5_000);
    expect(isRunning(pid!)).toBe(false);
    expect(readFileSync(join(dir, 'cdk.log'), 'utf8')).toMatch(/\n# exit SIGKILL \(cancelled\)\n$/);
  });

  /**
   * A stand-in that writes `script`'s output: how the real cdk's output reaches us in reads of a pipe
   * (a character cut between two reads, no newline at the end, a line with no end) cannot be made
   * to happen with the real one on demand.
   */
  async function scripted(script: string) {
    const dir = tempDir();
    const bin = join(dir, 'cdk.mjs');
    writeFileSync(bin, script);
    const lines: { line: string; stream: string }[] = [];
    const r = await runCdk({ args: ['deploy'], cwd: dir, logFile: join(dir, 'cdk.log'), env: { [CDK_BIN_OVERRIDE_ENV]: bin }, onLine: (line, stream) => lines.push({ line, stream }) });
    return { r, lines, log: readFileSync(join(dir, 'cdk.log'), 'utf8') };
  }

  it('keeps a last line written without its newline: in the lines, the log and the failure tail', async () => {
    const { r, lines, log } = await scripted("process.stdout.write('first\\n');\nprocess.stderr.write('❌  BenchlingWebhookStack failed: the last words', () => process.exit(1));\n");
    expect(r.outcome).toBe('failed');
    expect(lines).toContainEqual({ line: '❌  BenchlingWebhookStack failed: the last words', stream: 'stderr' });
    expect(log).toContain('❌  BenchlingWebhookStack failed: the last words\n');
    expect(r.outcome === 'failed' && r.stderrTail.endsWith('the last words')).toBe(true);
  });

  it('decodes a character cut between two reads as that character, not two replacement marks', async () => {
    // ✅ is three bytes: the first read ends after one of them.
    const { r, lines } = await scripted(
      "const b = Buffer.from('✅  BenchlingWebhookStack\\n');\nprocess.stdout.write(b.subarray(0, 1), () => setTimeout(() => process.stdout.write(b.subarray(1)), 100));\n",
    );
    expect(r.outcome).toBe('succeeded');
    expect(lines.map((l) => l.line)).toEqual(['✅  BenchlingWebhookStack']);
  });

  it(`gives output with no newline in pieces of at most ${LINE_MAX_CHARS} characters, every character once, in order`, async () => {
    const { r, lines, log } = await scripted(
      "const chunk = 'abcdefgh'.repeat(16 * 1024);\nlet n = 0;\nconst more = () => { if (n++ < 32) process.stdout.write(chunk, more); else process.stdout.write('\\nthe end\\n'); };\nmore();\n",
    );
    expect(r.outcome).toBe('succeeded');
    const out = lines.map((l) => l.line);
    expect(out.at(-1)).toBe('the end');
    const pieces = out.slice(0, -1);
    expect(pieces.length).toBe(Math.ceil((32 * 128 * 1024) / LINE_MAX_CHARS));
    expect(pieces.every((p) => p.length <= LINE_MAX_CHARS)).toBe(true);
    expect(pieces.join('')).toBe('abcdefgh'.repeat(32 * 16 * 1024));
    expect(log.length).toBeGreaterThan(32 * 128 * 1024);
  });

  it('an already-cancelled signal runs nothing', async () => {
    const dir = tempDir();
    const argsFile = join(dir, 'args.jsonl');
    const r = await runCdk({ args: ['deploy'], cwd: dir, logFile: join(dir, 'cdk.log'), signal: AbortSignal.abort(), env: { [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_ARGS_FILE: argsFile } });
    expect(r.outcome).toBe('cancelled');
    // The stand-in records every start at once; give a wrongly started one time to show.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(argsFile)).toBe(false);
  });
});
