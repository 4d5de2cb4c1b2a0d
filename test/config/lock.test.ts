import { describe, expect, it } from 'vitest';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { acquireLock, tryLock, waitForLock } from '../../src/config/lock.js';
import { tempDir } from '../helpers/fixtures.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';
import { LockHeldError } from '../../src/config/lock.js';

function deadPid(): number {
  // A process that has exited: its pid is free (reuse within the test is very unlikely).
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('lock', () => {
  it("is not stale while the cdk its dead holder started still runs, and names that cdk; stale once cdk is gone", async () => {
    const path = join(tempDir(), 'x.lock');
    // cdk as the runner starts it: the leader of its own process group, outliving a holder killed with SIGKILL.
    const cdk = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    try {
      writeFileSync(path, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00Z', purpose: 'deploy dev', token: 'old', cdkPid: cdk.pid }));
      expect(tryLock(path, 'deploy prod')).toBeUndefined();
      expect(() => acquireLock(path, 'deploy prod')).toThrow(new RegExp(`held by cdk \\(pid ${cdk.pid}\\), still running for deploy dev`));
    } finally {
      process.kill(-cdk.pid!, 'SIGKILL');
      await new Promise((r) => cdk.once('exit', r));
    }
    const held = acquireLock(path, 'deploy prod');
    expect(held.info.purpose).toBe('deploy prod');
    held.release();
  });

  it('notes the cdk it runs in the lock file, for whoever reads it next', () => {
    const path = join(tempDir(), 'x.lock');
    const held = acquireLock(path, 'deploy dev');
    held.noteCdk(4242);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ purpose: 'deploy dev', cdkPid: 4242, token: held.info.token });
    held.noteCdk(undefined);
    expect(JSON.parse(readFileSync(path, 'utf8')).cdkPid).toBeUndefined();
    held.release();
    held.noteCdk(7);
    expect(existsSync(path)).toBe(false);
  });

  it('is exclusive and released', () => {
    const path = join(tempDir(), 'x.lock');
    const a = acquireLock(path, 'first');
    expect(tryLock(path, 'second')).toBeUndefined();
    a.release();
    const b = acquireLock(path, 'second');
    b.release();
    expect(existsSync(path)).toBe(false);
  });

  it('recovers a lock left by a dead process on this host', () => {
    const path = join(tempDir(), 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00Z', purpose: 'deploy prod', token: 'old' }));
    const held = acquireLock(path, 'deploy dev');
    expect(JSON.parse(readFileSync(path, 'utf8')).purpose).toBe('deploy dev');
    held.release();
  });

  it('does not take a lock held by a live process or by another host', () => {
    const path = join(tempDir(), 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'now', purpose: 'deploy prod', token: 't' }));
    expect(tryLock(path, 'x')).toBeUndefined();
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: 'elsewhere', startedAt: 'now', purpose: 'deploy prod', token: 't' }));
    expect(() => acquireLock(path, 'x')).toThrow(/pid \d+ on elsewhere/);
  });

  it('the holder message shows the lock file\'s fields escaped, on one line (the file is outside text)', () => {
    const path = join(tempDir(), 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: `elsewhere${HOSTILE}`, startedAt: `now${HOSTILE}`, purpose: `deploy ${HOSTILE}`, token: 't' }));
    let error: unknown;
    try {
      acquireLock(path, 'x');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LockHeldError);
    const message = (error as Error).message;
    expect(message).not.toMatch(RAW_CONTROL);
    expect(message).not.toContain('\n');
    expect(message).toContain('deploy Task failed \\x1b]0;pwned\\x07\\x1b[2J boom ⏎ FAKE: prod healthy\\x7f\\x9b31m\\x85end \\u202edeliah\\u2066 x\\u2028y (pid');
    expect(message).toContain('on elsewhereTask failed \\x1b]0;pwned');
  });

  it('a lock released by an old holder does not remove the new holder\'s lock', () => {
    const path = join(tempDir(), 'x.lock');
    const a = acquireLock(path, 'a');
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'now', purpose: 'b', token: 'other' }));
    a.release();
    expect(existsSync(path)).toBe(true);
  });

  it('waitForLock waits for the holder and gives up with who holds it', async () => {
    const path = join(tempDir(), 'x.lock');
    const a = acquireLock(path, 'holder');
    setTimeout(() => a.release(), 100);
    const b = await waitForLock(path, 'waiter', 5_000);
    await expect(waitForLock(path, 'third', 100)).rejects.toThrow(/waiter/);
    b.release();
  });
});
