import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCdk, CDK_BIN_OVERRIDE_ENV, cdkExecutable } from '../../src/infra/runner.js';
import { tempDir } from '../helpers/fixtures.js';

const FAKE_CDK = fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runCdk', () => {
  it('uses the aws-cdk CLI from node_modules unless the test stand-in is set', () => {
    expect(cdkExecutable({}).prefixArgs[0]).toMatch(/node_modules\/aws-cdk\/bin\/cdk$/);
    expect(cdkExecutable({ [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK }).prefixArgs[0]).toBe(FAKE_CDK);
  });

  it('streams lines, keeps the raw output in the log file, and reports success', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const r = await runCdk({ args: ['deploy', 'BenchlingWebhookStack'], cwd: dir, logFile: join(dir, 'logs', 'cdk.log'), env: { [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, AWS_REGION: 'us-east-1' }, onLine: (l) => lines.push(l) });
    expect(r.outcome).toBe('succeeded');
    expect(lines.some((l) => l.includes('UPDATE_COMPLETE'))).toBe(true);
    const log = readFileSync(join(dir, 'logs', 'cdk.log'), 'utf8');
    expect(log).toMatch(/^\$ cdk deploy BenchlingWebhookStack/);
    expect(log).toMatch(/# exit 0/);
  });

  it('reports a failure with its exit code and the tail of the output', async () => {
    const dir = tempDir();
    const r = await runCdk({ args: ['deploy'], cwd: dir, logFile: join(dir, 'cdk.log'), env: { [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_MODE: 'fail' } });
    expect(r.outcome).toBe('failed');
    if (r.outcome !== 'failed') return;
    expect(r.exitCode).toBe(1);
    expect(r.stderrTail).toMatch(/Circuit breaker triggered/);
    expect(r.stderrTail).toMatch(/failed to deploy/);
  });

  it('cancel stops the whole process tree', async () => {
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
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(true);
    controller.abort();
    const r = await started;
    expect(r.outcome).toBe('cancelled');
    await waitFor(() => !alive(grandchild));
  });

  it('an already-cancelled signal runs nothing', async () => {
    const dir = tempDir();
    const argsFile = join(dir, 'args.jsonl');
    const r = await runCdk({ args: ['deploy'], cwd: dir, logFile: join(dir, 'cdk.log'), signal: AbortSignal.abort(), env: { [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_ARGS_FILE: argsFile } });
    expect(r.outcome).toBe('cancelled');
    expect(existsSync(argsFile)).toBe(false);
  });
});
