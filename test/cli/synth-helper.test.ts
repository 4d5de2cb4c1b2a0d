/**
 * The synth helper (src/infra/synth-helper.ts) with the built CLI as users run it: the
 * first synth starts it, the next is answered by it with the template a synth alone
 * writes, a user error it meets is the command's, it is never started in CI or when
 * switched off, it holds no secret, and it ends when idle or when its socket goes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HELPER_ENTRY, helperPlace, helperState, SYNTH_HELPER_SWITCH, type HelperPlace } from '../../src/infra/synth-helper.js';
import { ROOT, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { endProcess } from '../helpers/wait.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/synth/dev-and-prod', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Helpers these tests started: ended after each test, whatever it found. */
const started = new Set<number>();

afterEach(async () => {
  for (const pid of started) await endProcess(pid);
  started.clear();
});

async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, limitMs: number, what: string): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The environment of a user's shell: not CI, the helper not switched off, the tool's caches (and the helper's socket) in `home`. */
function userEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { CI: undefined, [SYNTH_HELPER_SWITCH]: undefined, XDG_CACHE_HOME: home, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', ...extra };
}

/** This process's environment with `env` over it, less what `env` unsets: what runCliAsync gives the CLI, CI aside. */
function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const full: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...env };
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k];
  return full as NodeJS.ProcessEnv;
}

/** The place the built CLI's helper takes under `env` (the test's own Node options are not the CLI's). */
function placeFor(env: Record<string, string | undefined>): HelperPlace {
  const place = helperPlace(DIST, cleanEnv(env), []);
  if (!place) throw new Error('the built CLI takes no helper place under this environment');
  return place;
}

async function synth(env: Record<string, string | undefined>, out: string) {
  const r = await runCliAsync(['--config-dir', FIXTURE, 'synth', '--out', out], { env });
  return r;
}

async function runningHelper(place: HelperPlace) {
  const state = await until(() => helperState(place), 30_000, 'the helper the first synth started to answer');
  started.add(state.pid);
  return state;
}

/** Every file of an assembly with its text, less the metadata file's call stacks (they name the caller's functions). */
function assembly(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, f.endsWith('.metadata.json') ? readFileSync(join(dir, f), 'utf8').replace(/^\s*"\s+at .*",?\n/gm, '') : readFileSync(join(dir, f), 'utf8')]),
  );
}

describe('the synth helper', () => {
  it('is started by a synth, answers the next one with the assembly a synth alone writes, and prints what a synth alone prints', async () => {
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    const outs = tempDir('bd-helper-out-');
    const first = await synth(env, join(outs, 'first'));
    expect(first.status).toBe(0);
    const before = await runningHelper(place);
    expect(before.served).toBe(0);

    const second = await synth(env, join(outs, 'second'));
    expect(second.status).toBe(0);
    expect(await helperState(place)).toEqual({ pid: before.pid, served: 1 });

    const alone = await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, join(outs, 'alone'));
    expect(alone.status).toBe(0);
    expect((await helperState(place))?.served).toBe(1);
    expect(second.stdout.replace('second', 'alone')).toBe(alone.stdout);
    expect(second.stderr).toBe(alone.stderr);
    const helped = assembly(join(outs, 'second'));
    expect(Object.keys(helped)).toContain('BenchlingWebhookStack.template.json');
    expect(helped).toEqual(assembly(join(outs, 'alone')));

    // --json reports the same, paths aside.
    const json = await runCliAsync(['--config-dir', FIXTURE, '--json', 'synth', '--out', join(outs, 'json')], { env });
    const jsonAlone = await runCliAsync(['--config-dir', FIXTURE, '--json', 'synth', '--out', join(outs, 'json')], { env: { ...env, [SYNTH_HELPER_SWITCH]: 'off' } });
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(jsonAlone.stdout));
    expect((await helperState(place))?.served).toBe(2);

    // Files are made with the command's mask, not the one the helper started with.
    const masked = spawnSync('sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, join(ROOT, 'bin', 'benchling-deploy.cjs'), '--config-dir', FIXTURE, 'synth', '--out', join(outs, 'masked')], { env: cleanEnv(env), encoding: 'utf8' });
    expect(masked.status, masked.stderr).toBe(0);
    expect((await helperState(place))?.served).toBe(3);
    expect(statSync(join(outs, 'masked', 'BenchlingWebhookStack.template.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(outs, 'second', 'BenchlingWebhookStack.template.json')).mode & 0o777).toBe(0o666 & ~process.umask());
  });

  it("a user error met where the helper answers is the command's, worded as alone; a second helper started meanwhile ends and leaves the first", async () => {
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    const outs = tempDir('bd-helper-out-');
    expect((await synth(env, join(outs, 'first'))).status).toBe(0);
    const helper = await runningHelper(place);

    const foreign = join(outs, 'foreign');
    expect((await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, foreign)).status).toBe(0);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const helped = await synth(env, foreign);
    const alone = await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, foreign);
    expect(helped.status).toBe(2);
    expect(helped.stderr).toMatch(/--out: .*notes\.txt/);
    expect(helped.stderr).toBe(alone.stderr);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await helperState(place)).toEqual({ pid: helper.pid, served: 0 });

    // A helper started while one listens (two synths that found none at once) ends without taking its socket.
    const extra = spawn(process.execPath, [join(DIST, HELPER_ENTRY), place.socket, place.keyHash, '60000'], { stdio: 'ignore', env: { ...process.env, ...env } as NodeJS.ProcessEnv });
    const code = await new Promise<number | null>((resolve) => extra.once('exit', resolve));
    expect(code).toBe(0);
    expect((await helperState(place))?.pid).toBe(helper.pid);
  });

  it('is never started in CI or switched off, and holds none of the secrets of the environment it was started from', async () => {
    for (const extra of [{ CI: 'true' }, { [SYNTH_HELPER_SWITCH]: 'off' }]) {
      const home = tempDir('bd-helper-');
      const env = userEnv(home, extra);
      expect((await synth(env, join(tempDir('bd-helper-out-'), 'a'))).status).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(existsSync(join(home, 'benchling-deploy', 'helper'))).toBe(false);
    }

    const home = tempDir('bd-helper-');
    const secrets = { AWS_SECRET_ACCESS_KEY: 'helper-test-secret-1', AWS_SESSION_TOKEN: 'helper-test-secret-2' };
    const env = userEnv(home, { AWS_ACCESS_KEY_ID: 'AKIDHELPERTEST', ...secrets });
    expect((await synth(env, join(tempDir('bd-helper-out-'), 'a'))).status).toBe(0);
    const helper = await runningHelper(placeFor(env));
    const environ = readFileSync(`/proc/${helper.pid}/environ`, 'latin1');
    expect(environ).toContain('AWS_ACCESS_KEY_ID=AKIDHELPERTEST');
    for (const value of Object.values(secrets)) expect(environ).not.toContain(value);
  });

  it('ends when idle, and when its socket is removed', async () => {
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    const start = (idleMs: number) => {
      const child = spawn(process.execPath, [join(DIST, HELPER_ENTRY), place.socket, place.keyHash, String(idleMs)], { stdio: 'ignore', env: { ...process.env, ...env } as NodeJS.ProcessEnv });
      started.add(child.pid!);
      return { child, exited: new Promise<number | null>((resolve) => child.once('exit', resolve)) };
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(place.folder, { recursive: true, mode: 0o700 });

    const idle = start(3000);
    await until(() => helperState(place), 30_000, 'the helper to answer');
    expect(await idle.exited).toBe(0);
    expect(existsSync(place.socket)).toBe(false);

    // Its socket is looked at four times an idle time (at most every 30 s): it ends well before it would idle out.
    const removed = start(20_000);
    await until(() => helperState(place), 30_000, 'the helper to answer');
    rmSync(place.socket);
    expect(await Promise.race([removed.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 12_000))])).toBe(0);
  }, 90_000);

  it('refuses arguments a synth never gives, and a request for another installation goes unanswered', async () => {
    const bad = spawn(process.execPath, [join(DIST, HELPER_ENTRY), 'relative.sock', 'nothex', '10'], { stdio: 'ignore' });
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(1);

    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    expect((await synth(env, join(tempDir('bd-helper-out-'), 'a'))).status).toBe(0);
    await runningHelper(place);
    expect(await helperState({ ...place, keyHash: '0'.repeat(64) })).toBeUndefined();
  });
});
