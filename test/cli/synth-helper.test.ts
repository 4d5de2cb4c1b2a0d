/**
 * The synth helper (src/infra/synth-helper.ts) with the built CLI as users run it: a
 * synth at a terminal starts it, the next ones are answered by it (aws-cdk-lib never
 * loaded in the command) with the assembly a synth alone writes, a user error it meets
 * is the command's, it is never started in CI, switched off or without a terminal, it
 * holds no secret, and it ends when idle, when its socket goes or on SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HELPER_ENTRY, helperPlace, helperState, startingMark, SYNTH_HELPER_SWITCH, type HelperPlace, type HelperState } from '../../src/infra/synth-helper.js';
import { BIN, copyOfBuild, ROOT, runCliAsync } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { endProcess } from '../helpers/wait.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/synth/dev-and-prod', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Helpers these tests started or found: ended after each test, whatever it found. */
const started = new Set<number>();

afterEach(async () => {
  // Only a helper still running (its process title says so): a pid of one that ended may be another process's by now.
  for (const pid of started) if (isHelper(pid)) await endProcess(pid);
  started.clear();
});

function isHelper(pid: number): boolean {
  try {
    return /synth.helper/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
}

/** The descriptors of process `pid` above 2 that a process it starts would inherit (no close-on-exec, 02000000); one closed as it is looked at is none. */
function inheritable(pid: number): number[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map(Number)
    .filter((fd) => {
      if (fd <= 2) return false;
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1');
      } catch {
        return false;
      }
      const flags = /^flags:\s*([0-7]+)$/m.exec(info);
      return flags !== null && (parseInt(flags[1]!, 8) & 0o2000000) === 0;
    });
}

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

/** The place the built CLI (of `dist`) takes under `env` (the test's own Node options are not the CLI's). */
function placeFor(env: Record<string, string | undefined>, dist = DIST): HelperPlace {
  const place = helperPlace(dist, cleanEnv(env), []);
  if (!place) throw new Error('the built CLI takes no helper place under this environment');
  return place;
}

/** `synth` with standard streams that are pipes (a script's): it starts no helper, but uses one that runs. */
function synth(env: Record<string, string | undefined>, out: string, options: { bin?: string; config?: string } = {}) {
  return runCliAsync(['--config-dir', options.config ?? FIXTURE, 'synth', '--out', out], { env, ...(options.bin ? { bin: options.bin } : {}) });
}

const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `synth` at a terminal (util-linux `script` gives it a pseudo-terminal): a person's, which starts a helper when it finds none. */
function synthAtTerminal(env: Record<string, string | undefined>, out: string, bin = BIN): { status: number | null; output: string } {
  const line = [process.execPath, bin, '--config-dir', FIXTURE, 'synth', '--out', out].map(shellWord).join(' ');
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { env: cleanEnv(env), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function runningHelper(place: HelperPlace): Promise<HelperState> {
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

/**
 * A copy of the build whose node_modules links to the checkout's packages, so that a helper started from it loads
 * aws-cdk-lib; `unlinkCdk` then takes aws-cdk-lib away from the copy: a command of the copy that loaded it itself
 * would fail, while the helper has it loaded already.
 */
function buildWithLinkedModules(): { bin: string; dist: string; unlinkCdk(): void } {
  const { bin, dist } = copyOfBuild();
  const modules = join(dist, '..', 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) if (!name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  return { bin, dist, unlinkCdk: () => rmSync(join(modules, 'aws-cdk-lib')) };
}

describe('the synth helper', () => {
  it('is started by a synth at a terminal and answers the next ones with the assembly a synth alone writes, in their mask, printing what a synth alone prints', async () => {
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    const outs = tempDir('bd-helper-out-');
    const first = synthAtTerminal(env, join(outs, 'first'));
    expect(first.status, first.output).toBe(0);
    const before = await runningHelper(place);
    expect(before).toEqual({ pid: before.pid, served: 0, userErrors: 0 });
    // The mark of its start, which kept a second synth from starting another, is gone once it listens.
    expect(existsSync(startingMark(place.socket))).toBe(false);

    const second = await synth(env, join(outs, 'second'));
    expect(second.status).toBe(0);
    expect(await helperState(place)).toEqual({ pid: before.pid, served: 1, userErrors: 0 });

    const alone = await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, join(outs, 'alone'));
    expect(alone.status).toBe(0);
    expect((await helperState(place))?.served).toBe(1);
    expect(second.stdout.replace('second', 'alone')).toBe(alone.stdout);
    expect(second.stderr).toBe(alone.stderr);
    const helped = assembly(join(outs, 'second'));
    expect(Object.keys(helped)).toContain('BenchlingWebhookStack.template.json');
    expect(helped).toEqual(assembly(join(outs, 'alone')));

    // Later syntheses of the same helper, of other profiles and back: each the assembly a synth alone writes.
    const prodOnly = tempDir('bd-helper-config-');
    writeJson(prodOnly, 'default.json', prodProfile());
    const other = tempDir('bd-helper-config-');
    writeJson(other, 'default.json', prodProfile({ imageTag: '0.9.9' }));
    writeJson(other, 'dev.json', devProfile({ imageTag: '0.9.8' }));
    for (const [i, config] of [prodOnly, other, FIXTURE, prodOnly].entries()) {
      expect((await synth(env, join(outs, `helped-${i}`), { config })).status).toBe(0);
      expect((await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, join(outs, `alone-${i}`), { config })).status).toBe(0);
      expect(assembly(join(outs, `helped-${i}`)), config).toEqual(assembly(join(outs, `alone-${i}`)));
    }
    expect((await helperState(place))?.served).toBe(5);

    // --json reports the same, paths aside.
    const json = await runCliAsync(['--config-dir', FIXTURE, '--json', 'synth', '--out', join(outs, 'json')], { env });
    const jsonAlone = await runCliAsync(['--config-dir', FIXTURE, '--json', 'synth', '--out', join(outs, 'json')], { env: { ...env, [SYNTH_HELPER_SWITCH]: 'off' } });
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(jsonAlone.stdout));
    expect((await helperState(place))?.served).toBe(6);

    // Files are made with the command's mask, not the one the helper started with.
    const masked = spawnSync('sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, BIN, '--config-dir', FIXTURE, 'synth', '--out', join(outs, 'masked')], { env: cleanEnv(env), encoding: 'utf8' });
    expect(masked.status, masked.stderr).toBe(0);
    expect((await helperState(place))?.served).toBe(7);
    expect(statSync(join(outs, 'masked', 'BenchlingWebhookStack.template.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(outs, 'second', 'BenchlingWebhookStack.template.json')).mode & 0o777).toBe(0o666 & ~process.umask());
  }, 120_000);

  it("where the helper answers, the command loads no aws-cdk-lib, and a user error the helper meets is the command's, worded as alone", async () => {
    const build = buildWithLinkedModules();
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env, build.dist);
    const outs = tempDir('bd-helper-out-');
    expect(synthAtTerminal(env, join(outs, 'first'), build.bin).status).toBe(0);
    const helper = await runningHelper(place);
    // Once, before aws-cdk-lib goes: what the helper's first synthesis loads as it runs is loaded.
    expect((await synth(env, join(outs, 'warm'), { bin: build.bin })).status).toBe(0);
    expect(await helperState(place)).toEqual({ pid: helper.pid, served: 1, userErrors: 0 });
    build.unlinkCdk();
    // Without its helper, the copy cannot synthesize any more.
    const broken = await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, join(outs, 'broken'), { bin: build.bin });
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toMatch(/aws-cdk-lib/);

    const helped = await synth(env, join(outs, 'second'), { bin: build.bin });
    expect(helped.status, `${helped.stderr}\nthe helper: ${JSON.stringify(await helperState(place))}`).toBe(0);
    expect(assembly(join(outs, 'second'))).toEqual(assembly(join(outs, 'first')));

    const foreign = join(outs, 'foreign');
    expect((await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, foreign)).status).toBe(0);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const refused = await synth(env, foreign, { bin: build.bin });
    const alone = await synth({ ...env, [SYNTH_HELPER_SWITCH]: 'off' }, foreign);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--out: .*notes\.txt/);
    expect(refused.stderr).toBe(alone.stderr);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await helperState(place)).toEqual({ pid: helper.pid, served: 2, userErrors: 1 });
  }, 120_000);

  it('is started by no synth in CI, switched off, or without a terminal; a second started while one listens ends and leaves it', async () => {
    for (const [extra, atTerminal] of [
      [{ CI: 'true' }, true],
      [{ [SYNTH_HELPER_SWITCH]: 'off' }, true],
      [{}, false],
    ] as const) {
      const home = tempDir('bd-helper-');
      const env = userEnv(home, extra);
      const out = join(tempDir('bd-helper-out-'), 'a');
      expect(atTerminal ? synthAtTerminal(env, out).status : (await synth(env, out)).status).toBe(0);
      // The command makes the helper's folder before it starts one, and is over.
      expect(existsSync(join(home, 'benchling-deploy', 'helper')), JSON.stringify(extra)).toBe(false);
    }

    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    expect(synthAtTerminal(env, join(tempDir('bd-helper-out-'), 'a')).status).toBe(0);
    const helper = await runningHelper(place);
    // Two synths that found none at once: the later helper finds the first listening, and ends without loading aws-cdk-lib.
    const extra = spawn(process.execPath, [join(DIST, HELPER_ENTRY), place.socket, place.keyHash, '60000'], { stdio: 'ignore', env: cleanEnv(env) });
    started.add(extra.pid!);
    const code = await new Promise<number | null>((resolve) => extra.once('exit', resolve));
    expect(code).toBe(0);
    expect(await helperState(place)).toEqual({ pid: helper.pid, served: 0, userErrors: 0 });
  }, 120_000);

  it('holds no descriptor the command inherited beyond its standard streams, listens on a socket of the user\u2019s alone whatever the mask, and is not used from a folder others may enter', async () => {
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    const outs = tempDir('bd-helper-out-');
    // A parent that hands the command a pipe as descriptor 200 (a harness's, a build tool's) and waits for its end;
    // the synth at a terminal runs under the mask 000.
    const line = [process.execPath, BIN, '--config-dir', FIXTURE, 'synth', '--out', join(outs, 'first')].map(shellWord).join(' ');
    const stdio: ('ignore' | 'pipe')[] = Array.from({ length: 201 }, () => 'ignore');
    stdio[1] = 'pipe';
    stdio[200] = 'pipe';
    const parent = spawn('sh', ['-c', 'umask 000 && exec script -qec "$0" /dev/null', line], { env: cleanEnv(env), stdio });
    let ended = false;
    const inherited = (parent.stdio as unknown as (import('node:stream').Readable | null)[])[200]!;
    inherited.on('data', () => {});
    inherited.on('end', () => (ended = true));
    let output = '';
    parent.stdout!.on('data', (d) => (output += d));
    const status = await new Promise<number | null>((resolve) => parent.on('exit', resolve));
    expect(status, output).toBe(0);
    const helper = await runningHelper(place);
    // Every holder of the pipe's other end has closed it: the command, and the helper that outlives it.
    await until(() => ended, 10_000, "the pipe's end, once the command exited (the helper still running)");
    expect(isHelper(helper.pid)).toBe(true);
    expect(inheritable(helper.pid)).toEqual([]);
    expect(statSync(place.socket).mode & 0o777).toBe(0o600);
    expect(statSync(place.folder).mode & 0o777).toBe(0o700);

    // A folder others may enter (opened up by hand) is not used: the synth runs alone...
    chmodSync(place.folder, 0o755);
    expect((await synth(env, join(outs, 'opened'))).status).toBe(0);
    expect((await helperState(place))?.served ?? 0).toBe(0);
    // ... until a synth at a terminal, which would start a helper, closes it again: the one running answers then.
    expect(synthAtTerminal(env, join(outs, 'closing')).status).toBe(0);
    expect(statSync(place.folder).mode & 0o777).toBe(0o700);
    expect((await synth(env, join(outs, 'closed'))).status).toBe(0);
    expect(await helperState(place)).toEqual({ pid: helper.pid, served: 1, userErrors: 0 });
  }, 120_000);

  it('holds none of the secrets of the environment it was started from, nor its other variables', async () => {
    const home = tempDir('bd-helper-');
    const secrets = { AWS_SECRET_ACCESS_KEY: 'helper-test-secret-1', AWS_SESSION_TOKEN: 'helper-test-secret-2', NODE_AUTH_TOKEN: 'helper-test-secret-3', DATABASE_URL: 'postgres://u:helper-test-secret-4@db' };
    const env = userEnv(home, { AWS_ACCESS_KEY_ID: 'AKIDHELPERTEST', AWS_REGION: 'eu-west-1', ...secrets });
    expect(synthAtTerminal(env, join(tempDir('bd-helper-out-'), 'a')).status).toBe(0);
    const helper = await runningHelper(placeFor(env));
    const environ = readFileSync(`/proc/${helper.pid}/environ`, 'latin1');
    expect(environ).toContain(`XDG_CACHE_HOME=${home}`);
    expect(environ).toContain('AWS_REGION=eu-west-1');
    expect(environ).not.toContain('AKIDHELPERTEST');
    for (const value of Object.values(secrets)) expect(environ).not.toContain(value);
  }, 60_000);

  it('ends when idle, on SIGTERM, and when its socket is removed (writing nothing into the removed folder)', async () => {
    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    const start = (idleMs: number) => {
      const child = spawn(process.execPath, [join(DIST, HELPER_ENTRY), place.socket, place.keyHash, String(idleMs)], { stdio: 'ignore', env: cleanEnv(env) });
      started.add(child.pid!);
      return { child, exited: new Promise<number | null>((resolve) => child.once('exit', resolve)) };
    };
    const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise((resolve) => setTimeout(() => resolve(`still running after ${ms} ms`), ms))]);
    mkdirSync(place.folder, { recursive: true, mode: 0o700 });

    const idle = start(3000);
    await until(() => helperState(place), 30_000, 'the helper to answer');
    expect(await within(idle.exited, 15_000)).toBe(0);
    expect(existsSync(place.socket)).toBe(false);

    const signalled = start(60_000);
    await until(() => helperState(place), 30_000, 'the helper to answer');
    signalled.child.kill('SIGTERM');
    expect(await within(signalled.exited, 10_000)).toBe(0);
    expect(existsSync(place.socket)).toBe(false);

    // In a cache folder of their own (whose code cache they alone would fill, so that a save shows): its socket is
    // looked at four times an idle time (at most every 30 s), so it ends well before it would idle out; and it ends
    // on SIGTERM after its folder went. Neither writes the code cache into the folder removed under it.
    for (const how of ['removed', 'removed, then SIGTERM'] as const) {
      const own = tempDir('bd-helper-');
      const ownEnv = userEnv(own);
      const ownPlace = placeFor(ownEnv);
      mkdirSync(ownPlace.folder, { recursive: true, mode: 0o700 });
      const child = spawn(process.execPath, [join(DIST, HELPER_ENTRY), ownPlace.socket, ownPlace.keyHash, '20000'], { stdio: 'ignore', env: cleanEnv(ownEnv) });
      started.add(child.pid!);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await until(() => helperState(ownPlace), 30_000, 'the helper to answer');
      rmSync(own, { recursive: true });
      if (how === 'removed, then SIGTERM') child.kill('SIGTERM');
      expect(await within(exited, 12_000), how).toBe(0);
      expect(existsSync(own), how).toBe(false);
    }
  }, 120_000);

  it('refuses arguments a synth never gives, and a request for another installation goes unanswered', async () => {
    const bad = spawn(process.execPath, [join(DIST, HELPER_ENTRY), 'relative.sock', 'nothex', '10'], { stdio: 'ignore' });
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(1);

    const home = tempDir('bd-helper-');
    const env = userEnv(home);
    const place = placeFor(env);
    expect(synthAtTerminal(env, join(tempDir('bd-helper-out-'), 'a')).status).toBe(0);
    await runningHelper(place);
    expect(await helperState({ ...place, keyHash: '0'.repeat(64) })).toBeUndefined();
  }, 60_000);
});
