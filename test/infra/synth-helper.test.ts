/**
 * The synth helper's parts (src/infra/synth-helper.ts): where it is used, what a command
 * takes from its answers, the request's environment and working folder, and a helper
 * served in this process with a stand-in synthesis (the built one: test/cli/synth-helper.test.ts).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutClientSecrets, type StackProfiles } from '../../src/config/pairing.js';
import { UserError, UserErrors } from '../../src/errors.js';
import {
  ACCEPT_LIMIT_MS,
  checkAnswer,
  fileIdentity,
  helperPlace,
  helperState,
  HELPER_ENTRY,
  moduleFiles,
  requestEnv,
  serveSynthHelper,
  synthByHelper,
  startingMark,
  startSynthHelper,
  SYNTH_HELPER_SWITCH,
  withRequestContext,
  type HelperPlace,
  type SynthSummary,
} from '../../src/infra/synth-helper.js';
import { makeFolderPrivate, OTHERS_ANY, ownFolder, safeAncestry } from '../../src/own-files.js';
import { tempDir } from '../helpers/fixtures.js';
import { hasEnded, waitFor } from '../helpers/wait.js';

/** A folder laid out as dist/ is, as far as the helper's key reads it. */
function fakeDist(): string {
  const dir = tempDir('bd-helper-dist-');
  for (const name of ['front.cjs', 'synth.cjs', HELPER_ENTRY, 'synth-modules.cjs']) writeFileSync(join(dir, name), `// ${name}\n`);
  return dir;
}

const base = (home: string): NodeJS.ProcessEnv => ({ XDG_CACHE_HOME: home, PATH: '/usr/bin' });

describe('helperPlace', () => {
  it('is under the cache folder, named by the installation, and none where a helper is not used', () => {
    const dist = fakeDist();
    const home = tempDir('bd-helper-home-');
    const place = helperPlace(dist, base(home), []);
    expect(place?.folder).toBe(join(home, 'benchling-deploy', 'helper'));
    expect(place?.socket).toMatch(/\/synth-[0-9a-f]{8}\.sock$/);
    expect(place?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    // The same installation, the same place.
    expect(helperPlace(dist, base(home), [])).toEqual(place);

    for (const env of [{ [SYNTH_HELPER_SWITCH]: 'off' }, { [SYNTH_HELPER_SWITCH]: '0' }, { CI: 'true' }, { CI: '1' }, { NODE_OPTIONS: '--cpu-prof' }]) {
      expect(helperPlace(dist, { ...base(home), ...env }, []), JSON.stringify(env)).toBeUndefined();
    }
    expect(helperPlace(dist, { ...base(home), CI: 'false' }, [])).toEqual(place);
    expect(helperPlace(dist, base(home), ['--cpu-prof'])).toBeUndefined();
    expect(helperPlace(dist, base(join(home, 'x'.repeat(80))), [])).toBeUndefined();
    expect(helperPlace(join(dist, 'missing'), base(home), [])).toBeUndefined();
  });

  it('is another for another bundle, another value of a variable aws-cdk-lib reads as it loads, or another folder of the same files', () => {
    const dist = fakeDist();
    const home = tempDir('bd-helper-home-');
    const place = helperPlace(dist, base(home), [])!;
    // Other variables are the request's, not the helper's; nor is one named like a secret hashed into the key.
    expect(helperPlace(dist, { ...base(home), AWS_REGION: 'eu-west-1' }, [])).toEqual(place);
    expect(helperPlace(dist, { ...base(home), NODE_AUTH_TOKEN: 'npm_x' }, [])).toEqual(place);
    const others = [
      helperPlace(dist, { ...base(home), CDK_CONTEXT_JSON: '{}' }, [])!,
      helperPlace(dist, { ...base(home), JSII_DEPRECATED: 'quiet' }, [])!,
      helperPlace(dist, { ...base(home), NODE_ENV: 'test' }, [])!,
    ];
    const link = join(tempDir('bd-helper-link-'), 'dist');
    symlinkSync(dist, link);
    // A link to the same folder is the same installation.
    expect(helperPlace(link, base(home), [])).toEqual(place);
    const copy = fakeDist();
    others.push(helperPlace(copy, base(home), [])!);
    utimesSync(join(dist, 'synth.cjs'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    others.push(helperPlace(dist, base(home), [])!);
    for (const other of others) {
      expect(other.socket).not.toBe(place.socket);
      expect(other.keyHash).not.toBe(place.keyHash);
    }
  });
});

describe('startSynthHelper', () => {
  it('starts one helper while one is starting; a mark whose helper ended, or one older than a start takes, is no start', async () => {
    const dist = fakeDist();
    // A stand-in helper: notes its start, then loads for a while without listening, as a real one does.
    const starts = join(tempDir('bd-helper-starts-'), 'starts');
    writeFileSync(join(dist, HELPER_ENTRY), "require('node:fs').appendFileSync(process.env.BENCHLING_DEPLOY_TEST_STARTS, process.pid + '\\n'); setTimeout(() => {}, 20000);\n");
    const home = tempDir('bd-helper-home-');
    const env = { ...base(home), BENCHLING_DEPLOY_TEST_STARTS: starts };
    const place = helperPlace(dist, env, [])!;
    const started = () => (existsSync(starts) ? readFileSync(starts, 'utf8').trim().split('\n').map(Number) : []);
    const pids: number[] = [];
    try {
      startSynthHelper(place, dist, env);
      startSynthHelper(place, dist, env);
      for (let i = 0; i < 100 && started().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      expect(started()).toHaveLength(1);
      pids.push(...started());
      const mark = startingMark(place.socket);
      expect(readFileSync(mark, 'utf8')).toBe(String(pids[0]));

      // Its helper ended while loading (killed, crashed): the mark names a process that is gone.
      process.kill(pids[0]!, 'SIGKILL');
      await waitFor(() => hasEnded(pids[0]!), 10_000, 'the stand-in to end');
      startSynthHelper(place, dist, env);
      for (let i = 0; i < 100 && started().length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(started()).toHaveLength(2);
      pids.push(started()[1]!);

      // A mark older than any start, whatever process it names now.
      const old = new Date(Date.now() - 120_000);
      utimesSync(mark, old, old);
      startSynthHelper(place, dist, env);
      for (let i = 0; i < 100 && started().length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(started()).toHaveLength(3);
      pids.push(started()[2]!);
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Ended.
        }
      }
    }
  }, 30_000);
});

describe('requestEnv and withoutClientSecrets', () => {
  it('send the variables a synthesis may read, none named like a secret, and the profiles without the client secret', () => {
    expect(
      requestEnv({
        AWS_SECRET_ACCESS_KEY: 's',
        AWS_SESSION_TOKEN: 't',
        AWS_ACCESS_KEY_ID: 'AKID',
        GITHUB_TOKEN: 'g',
        DATABASE_URL: 'postgres://u:p@h',
        OPENAI_API_KEY: 'k',
        NODE_AUTH_TOKEN: 'n',
        CDK_PRIVATE_THING: 'p',
        AWS_REGION: 'us-east-1',
        CDK_CONTEXT_JSON: '{}',
        JSII_DEPRECATED: 'quiet',
        NODE_ENV: 'production',
        HOME: '/h',
        XDG_CACHE_HOME: '/c',
        LANG: 'C.UTF-8',
        LC_ALL: 'C',
        TZ: 'UTC',
        BENCHLING_DEPLOY_COMPILE_CACHE: 'off',
        UNSET: undefined,
      }),
    ).toEqual({ AWS_REGION: 'us-east-1', CDK_CONTEXT_JSON: '{}', JSII_DEPRECATED: 'quiet', NODE_ENV: 'production', HOME: '/h', XDG_CACHE_HOME: '/c', LANG: 'C.UTF-8', LC_ALL: 'C', TZ: 'UTC', BENCHLING_DEPLOY_COMPILE_CACHE: 'off' });
    const withSecret = { prod: { name: 'default', benchlingClientSecret: 'shh', imageTag: '1' }, dev: { name: 'dev', benchlingClientSecret: 'shh', imageTag: '2' }, place: { stackName: 'S' } } as unknown as StackProfiles;
    const sent = withoutClientSecrets(withSecret);
    expect(JSON.stringify(sent)).not.toContain('shh');
    expect(sent).toEqual({ prod: { name: 'default', imageTag: '1' }, dev: { name: 'dev', imageTag: '2' }, place: { stackName: 'S' } });
    expect(withoutClientSecrets({ prod: { name: 'default' }, place: {} } as unknown as StackProfiles)).toEqual({ prod: { name: 'default' }, place: {} });
  });
});

describe('withRequestContext', () => {
  it("runs with the request's environment, working folder and file mode mask, and puts the process's back, also when it throws", () => {
    const dir = realpathSync(tempDir('bd-helper-cwd-'));
    const cwd = process.cwd();
    process.env.BD_HELPER_OWN = 'mine';
    const umask = process.umask();
    try {
      const seen = withRequestContext({ BD_HELPER_REQUEST: 'theirs', PATH: '/nowhere' }, dir, 0o077, () => ({ cwd: process.cwd(), own: process.env.BD_HELPER_OWN, request: process.env.BD_HELPER_REQUEST, path: process.env.PATH, umask: process.umask() }));
      expect(seen).toEqual({ cwd: dir, own: undefined, request: 'theirs', path: '/nowhere', umask: 0o077 });
      expect(process.umask()).toBe(umask);
      expect(process.cwd()).toBe(cwd);
      expect(process.env.BD_HELPER_OWN).toBe('mine');
      expect(process.env.BD_HELPER_REQUEST).toBeUndefined();
      expect(() =>
        withRequestContext({ BD_HELPER_REQUEST: 'theirs' }, dir, 0o077, () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(process.cwd()).toBe(cwd);
      expect(process.env.BD_HELPER_OWN).toBe('mine');
      expect(process.env.PATH).not.toBe('/nowhere');
      expect(process.umask()).toBe(umask);
      // A working folder that is gone: nothing changed, nothing run.
      expect(() => withRequestContext({}, join(dir, 'gone'), 0o077, () => 'ran')).toThrow();
      expect(process.umask()).toBe(umask);
      expect(process.env.BD_HELPER_OWN).toBe('mine');
    } finally {
      delete process.env.BD_HELPER_OWN;
    }
  });
});

describe('moduleFiles', () => {
  it('names a loaded file once it changed, and files loaded later from when they are first seen', () => {
    const dir = tempDir('bd-helper-files-');
    const a = join(dir, 'a.js');
    const b = join(dir, 'b.js');
    writeFileSync(a, 'a');
    const cache: Record<string, unknown> = { [a]: {}, 'node:fs': {} };
    const files = moduleFiles(cache);
    expect(files.changed()).toBeUndefined();
    writeFileSync(b, 'b');
    cache[b] = {};
    expect(files.changed()).toBeUndefined();
    writeFileSync(b, 'b, changed');
    expect(files.changed()).toBe(b);
  });
});

const target = join(tempDir('bd-helper-answer-'), 'asm');
mkdirSync(target);
writeFileSync(join(target, 'BenchlingWebhookStack.template.json'), '{}');
const summary: SynthSummary = {
  assemblyDir: target,
  stackName: 'BenchlingWebhookStack',
  templatePath: `${target}/BenchlingWebhookStack.template.json`,
  environments: ['prod', 'dev'],
  assets: [],
  hasAssets: false,
  templateBodySize: 77_000,
  bootstrapRequired: true,
};

describe('checkAnswer', () => {
  it('takes a summary of the assembly asked for, and a user error with its words', () => {
    const template = fileIdentity(summary.templatePath);
    expect(template).toMatch(/^\d+:\d+$/);
    expect(checkAnswer({ ok: true, summary, template }, target)).toEqual({ ok: true, summary });
    const one = checkAnswer({ ok: false, kind: 'user', message: '--out: bad', hint: 'name another' }, target);
    expect(one?.ok === false && one.error).toBeInstanceOf(UserError);
    expect(one?.ok === false && [one.error.message, one.error.hint]).toEqual(['--out: bad', 'name another']);
    const many = checkAnswer({ ok: false, kind: 'users', message: 'a\nb', problems: ['a', 'b'] }, target);
    expect(many?.ok === false && many.error).toBeInstanceOf(UserErrors);
    expect(many?.ok === false && (many.error as UserErrors).problems).toEqual(['a', 'b']);
  });

  it('takes nothing else: another folder, a template outside it, odd fields, a failure, staleness, a refusal', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'ok',
      [],
      { ok: true },
      // The template it names is not the file this process sees there (another file system's view of the path), or unnamed.
      { ok: true, summary, template: undefined },
      { ok: true, summary, template: '1:2' },
      { ok: true, summary: { ...summary, assemblyDir: '/tmp/out/other' } },
      { ok: true, summary: { ...summary, templatePath: 'BenchlingWebhookStack.template.json' } },
      { ok: true, summary: { ...summary, environments: ['staging'] } },
      { ok: true, summary: { ...summary, environments: [] } },
      { ok: true, summary: { ...summary, stackName: '' } },
      { ok: true, summary: { ...summary, stackName: 'x'.repeat(200) } },
      { ok: true, summary: { ...summary, assets: [1] } },
      { ok: true, summary: { ...summary, hasAssets: true } },
      { ok: true, summary: { ...summary, templateBodySize: -1 } },
      { ok: true, summary: { ...summary, templateBodySize: 1.5 } },
      { ok: true, summary: { ...summary, bootstrapRequired: 'yes' } },
      { ok: false, kind: 'other' },
      { ok: false, kind: 'stale', file: '/x' },
      { ok: false, kind: 'refused' },
      { ok: false, kind: 'user' },
      { ok: false, kind: 'external', message: 'm' },
    ];
    // Each with the template's true identity unless it names one: refused for its own fault alone.
    const template = fileIdentity(summary.templatePath);
    for (const answer of bad) {
      const named = typeof answer === 'object' && answer !== null && !Array.isArray(answer) && !('template' in answer) ? { ...answer, template } : answer;
      expect(checkAnswer(named, target), JSON.stringify(named)).toBeUndefined();
    }
    // A template outside the assembly, named with that file's own identity: the place alone refuses it.
    const beside = join(target, '..', 'x.json');
    writeFileSync(beside, '{}');
    for (const templatePath of ['/etc/passwd', beside, `${target}/../x.json`, target]) {
      const answer = { ok: true, summary: { ...summary, templatePath }, template: fileIdentity(templatePath) };
      expect(answer.template, templatePath).toMatch(/^\d+:\d+$/);
      expect(checkAnswer(answer, target), templatePath).toBeUndefined();
    }
  });

  it('takes no assembly that was there before the request (the folder a synthesis replaces)', () => {
    const answer = { ok: true, summary, template: fileIdentity(summary.templatePath) };
    expect(checkAnswer(answer, target, '1:2')).toEqual({ ok: true, summary });
    expect(checkAnswer(answer, target, fileIdentity(target))).toBeUndefined();
    expect(checkAnswer(answer, join(target, 'gone'), undefined)).toBeUndefined();
  });

  it('takes no list or text longer than an answer holds, whatever its shape (a sparse array of 2^32 - 1 is refused at once, not walked), and never throws', () => {
    const sparse = (first: string): string[] => {
      const a = [first];
      a.length = 2 ** 32 - 1;
      return a;
    };
    const template = fileIdentity(summary.templatePath);
    const long = 'x'.repeat(4097);
    const bad: unknown[] = [
      { ok: true, summary: { ...summary, environments: sparse('prod') }, template },
      { ok: true, summary: { ...summary, environments: ['prod', 'dev', 'prod'] }, template },
      { ok: true, summary: { ...summary, assets: sparse('a'), hasAssets: true }, template },
      { ok: true, summary: { ...summary, assets: [long], hasAssets: true }, template },
      { ok: false, kind: 'users', message: 'm', problems: sparse('p') },
      { ok: false, kind: 'users', message: 'm', problems: Array.from({ length: 101 }, () => 'p') },
      { ok: false, kind: 'users', message: 'm', problems: [long] },
      { ok: false, kind: 'user', message: long },
      { ok: false, kind: 'user', message: 'm', hint: long },
      { ok: false, kind: 'user', message: 'm', hint: 7 },
      // An answer that throws as it is read is no answer.
      {
        ok: true,
        get summary() {
          throw new Error('boom');
        },
      },
    ];
    for (const answer of bad) expect(checkAnswer(answer, target)).toBeUndefined();
    // At the bounds, taken.
    const most = checkAnswer({ ok: false, kind: 'users', message: 'm', problems: Array.from({ length: 100 }, () => 'p'.repeat(4096)), hint: 'h'.repeat(4096) }, target);
    expect(most?.ok === false && (most.error as UserErrors).problems.length).toBe(100);
  });
});

describe('serveSynthHelper in this process', () => {
  const profiles = { place: { stackName: 'BenchlingWebhookStack' }, prod: { name: 'default', benchlingClientSecret: 'shh' } } as unknown as StackProfiles;

  function place(): HelperPlace {
    const folder = join(tempDir('bd-helper-serve-'), 'helper');
    mkdirSync(folder, { mode: 0o700 });
    return { folder, socket: join(folder, 'synth-test.sock'), keyHash: 'a'.repeat(64) };
  }

  async function ready(p: HelperPlace) {
    let state;
    for (let i = 0; i < 250 && (state = await helperState(p)) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    return state;
  }

  /** A stand-in synthesis: writes a template file into `outDir`, as the real one does (a command checks it sees that file). */
  function writeTemplate(outDir: string): SynthSummary {
    mkdirSync(outDir, { recursive: true });
    const templatePath = join(outDir, 'BenchlingWebhookStack.template.json');
    writeFileSync(templatePath, '{}');
    return { ...summary, assemblyDir: outDir, templatePath };
  }

  it("synthesizes with the request's environment and folder, answers user errors, refuses other keys, and stops (its socket removed) once its code changed", async () => {
    const p = place();
    const cwd = realpathSync(tempDir('bd-helper-cwd-'));
    const outs = realpathSync(tempDir('bd-helper-outs-'));
    const seen: { outDir: string; region: string | undefined; secret: string | undefined; cwd: string; clientSecret: unknown }[] = [];
    let changed: string | undefined;
    const served = serveSynthHelper({
      socket: p.socket,
      keyHash: p.keyHash,
      idleMs: 60_000,
      files: { changed: () => changed },
      load: async () => (given, outDir) => {
        seen.push({ outDir, region: process.env.AWS_REGION, secret: process.env.AWS_SECRET_ACCESS_KEY, cwd: process.cwd(), clientSecret: (given.prod as { benchlingClientSecret?: unknown }).benchlingClientSecret });
        if (outDir.endsWith('refused')) throw new UserError('--out: refused here', 'name another');
        if (outDir.endsWith('broken')) throw new Error('a bug');
        return writeTemplate(outDir);
      },
    });
    await ready(p);
    const env = { AWS_REGION: 'eu-central-1', AWS_SECRET_ACCESS_KEY: 'never-sent' };
    const cwdBefore = process.cwd();
    process.chdir(cwd);
    let ok, refused, broken, otherKey;
    try {
      ok = await synthByHelper(p, { profiles, outDir: join(outs, 'one') }, env);
      refused = await synthByHelper(p, { profiles, outDir: join(outs, 'refused') }, env);
      broken = await synthByHelper(p, { profiles, outDir: join(outs, 'broken') }, env);
      otherKey = await synthByHelper({ ...p, keyHash: 'b'.repeat(64) }, { profiles, outDir: join(outs, 'two') }, env);
    } finally {
      process.chdir(cwdBefore);
    }
    expect(ok).toEqual({ ok: true, summary: { ...summary, assemblyDir: join(outs, 'one'), templatePath: join(outs, 'one', 'BenchlingWebhookStack.template.json') } });
    expect(refused?.ok === false && refused.error.message).toBe('--out: refused here');
    expect(broken).toBeUndefined();
    expect(otherKey).toBeUndefined();
    expect(seen).toEqual(['one', 'refused', 'broken'].map((name) => ({ outDir: join(outs, name), region: 'eu-central-1', secret: undefined, cwd, clientSecret: undefined })));
    expect(await helperState(p)).toEqual({ pid: process.pid, served: 1, userErrors: 1, problem: 'failed: a bug' });

    changed = '/node_modules/aws-cdk-lib/index.js';
    expect(await synthByHelper(p, { profiles, outDir: join(outs, 'three') }, env)).toBeUndefined();
    expect(seen).toHaveLength(3);
    expect(await served).toBe('stale');
    expect(await helperState(p)).toBeUndefined();
    expect(existsSync(p.socket)).toBe(false);
  });

  it('takes over a socket file nothing answers at, and is not answered where the socket is not the user\u2019s folder\u2019s', async () => {
    const p = place();
    // A socket left by a helper that was killed: a file nothing listens at (a close would have removed it).
    const dead = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(p.socket)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => dead.stdout.once('data', r));
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    expect(existsSync(p.socket)).toBe(true);
    const served = serveSynthHelper({ socket: p.socket, keyHash: p.keyHash, idleMs: 1500, files: { changed: () => undefined }, load: async () => () => summary });
    expect(await ready(p)).toEqual({ pid: process.pid, served: 0, userErrors: 0 });
    // A folder others may write, or even enter, is no place to trust a socket in.
    for (const mode of [0o777, 0o755, 0o710]) {
      chmodSync(p.folder, mode);
      expect(await helperState(p), mode.toString(8)).toBeUndefined();
    }
    chmodSync(p.folder, 0o700);
    expect(await helperState(p)).toEqual({ pid: process.pid, served: 0, userErrors: 0 });
    expect(await served).toBe('idle');
  });

  it('a helper that does not take the connection (stopped, stuck) is left after the accept limit; one still loading is not waited for', async () => {
    const p = place();
    // Listening, but never taking a connection: what a stopped helper's socket does (the kernel queues the connection).
    const held = new Set<import('node:net').Socket>();
    const stuck = createServer((conn) => held.add(conn));
    await new Promise<void>((r) => stuck.listen(p.socket, r));
    const begun = performance.now();
    expect(await synthByHelper(p, { profiles, outDir: join(tempDir('bd-helper-outs-'), 'a') })).toBeUndefined();
    const waited = performance.now() - begun;
    expect(waited).toBeGreaterThanOrEqual(ACCEPT_LIMIT_MS - 50);
    expect(waited).toBeLessThan(ACCEPT_LIMIT_MS + 5_000);
    // Set aside: its socket removed (it ends when it looks), so the next synth neither waits for it nor is kept from starting another.
    expect(existsSync(p.socket)).toBe(false);
    const next = performance.now();
    expect(await synthByHelper(p, { profiles, outDir: join(tempDir('bd-helper-outs-'), 'a') })).toBeUndefined();
    expect(performance.now() - next).toBeLessThan(1000);
    for (const conn of held) conn.destroy();
    await new Promise((r) => stuck.close(r));

    // A helper still loading does not listen yet: a command then synthesizes alone at once, not after the load.
    const q = place();
    const outs = realpathSync(tempDir('bd-helper-outs-'));
    const served = serveSynthHelper({
      socket: q.socket,
      keyHash: q.keyHash,
      idleMs: 60_000,
      files: { changed: () => undefined },
      load: () => new Promise((r) => setTimeout(() => r((_given, outDir) => writeTemplate(outDir)), 1500)),
    });
    const asked = performance.now();
    expect(await synthByHelper(q, { profiles, outDir: join(outs, 'b') })).toBeUndefined();
    expect(performance.now() - asked).toBeLessThan(1000);
    expect(existsSync(q.socket)).toBe(false);
    expect(await ready(q)).toEqual({ pid: process.pid, served: 0, userErrors: 0 });
    expect((await synthByHelper(q, { profiles, outDir: join(outs, 'c') }))?.ok).toBe(true);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await served).toBe('signal');
  }, 20_000);

  it('a helper set aside (its socket removed by a command it did not answer) that stops leaves the socket of the one that took its place', async () => {
    const p = place();
    // Checks its socket every second (a quarter of its idle time).
    const first = serveSynthHelper({ socket: p.socket, keyHash: p.keyHash, idleMs: 4_000, files: { changed: () => undefined }, load: async () => () => summary });
    await ready(p);
    rmSync(p.socket);
    const second = serveSynthHelper({ socket: p.socket, keyHash: p.keyHash, idleMs: 60_000, files: { changed: () => undefined }, load: async () => () => summary });
    expect(await ready(p)).toEqual({ pid: process.pid, served: 0, userErrors: 0 });
    const taken = lstatSync(p.socket).ino;
    expect(await first).toBe('socket');
    expect(lstatSync(p.socket, { throwIfNoEntry: false })?.ino).toBe(taken);
    expect(await helperState(p)).toEqual({ pid: process.pid, served: 0, userErrors: 0 });
    process.emit('SIGTERM', 'SIGTERM');
    expect(await second).toBe('signal');
    expect(existsSync(p.socket)).toBe(false);
  }, 20_000);

  it('on stopping, closes a connection still open (one that sends a request a byte at a time never holds it)', async () => {
    const p = place();
    const served = serveSynthHelper({ socket: p.socket, keyHash: p.keyHash, idleMs: 1000, files: { changed: () => undefined }, load: async () => () => summary });
    await ready(p);
    const slow = connect(p.socket);
    // Its writes fail once the helper has closed it: that is the point.
    slow.on('error', () => {});
    await new Promise((r) => slow.once('connect', r));
    const closed = new Promise((r) => slow.once('close', r));
    slow.write(Buffer.from([0, 0, 0, 100]));
    const drip = setInterval(() => slow.write(Buffer.from([0])), 200);
    try {
      const begun = performance.now();
      expect(await served).toBe('idle');
      await closed;
      expect(performance.now() - begun).toBeLessThan(5_000);
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
  }, 20_000);
});

describe('the folders of the socket', () => {
  const dir = (uid: number, mode: number) => ({ isDirectory: () => true, uid, mode: 0o040000 | mode });
  const link = { isDirectory: () => false, uid: 1000, mode: 0o120777 };

  it('trusts a path none of whose folders anyone but the user or root could replace (others may write a sticky one)', () => {
    const tree = (entries: Record<string, ReturnType<typeof dir> | typeof link>) => (path: string) => {
      const st = entries[path];
      if (st === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return st;
    };
    const home = { '/': dir(0, 0o755), '/home': dir(0, 0o755), '/home/u': dir(1000, 0o750), '/home/u/.cache': dir(1000, 0o700) };
    expect(safeAncestry('/home/u/.cache', tree(home), 1000)).toBe(true);
    expect(safeAncestry('/home/u/.cache', tree(home), 0)).toBe(false);
    expect(safeAncestry('/tmp/u', tree({ '/': dir(0, 0o755), '/tmp': dir(0, 0o1777), '/tmp/u': dir(1000, 0o700) }), 1000)).toBe(true);
    const refused: [string, Record<string, ReturnType<typeof dir> | typeof link>][] = [
      ['a folder above writable by others, not sticky', { ...home, '/home': dir(0, 0o777) }],
      ['a folder above writable by its group', { ...home, '/home/u': dir(1000, 0o770) }],
      ["a folder above of another user's", { ...home, '/home/u': dir(1001, 0o755) }],
      ["the folder itself another user's", { ...home, '/home/u/.cache': dir(1001, 0o700) }],
      ['a link on the way', { ...home, '/home/u': link }],
      ['a folder missing', { '/': dir(0, 0o755), '/home/u': dir(1000, 0o700), '/home/u/.cache': dir(1000, 0o700) }],
      ['a sticky folder of another user', { '/': dir(0, 0o755), '/tmp': dir(1001, 0o1777), '/tmp/u': dir(1000, 0o700) }],
    ];
    for (const [what, entries] of refused) expect(safeAncestry(entries['/tmp/u'] ? '/tmp/u' : '/home/u/.cache', tree(entries), 1000), what).toBe(false);
    expect(safeAncestry('relative/path', tree(home), 1000)).toBe(false);
    // This machine's temporary folders: under a sticky /tmp.
    expect(safeAncestry(realpathSync(tempDir('bd-helper-ancestry-')))).toBe(true);
  });

  it('a folder of the user\u2019s is made private; a link, or a folder missing, is not', () => {
    const opened = join(tempDir('bd-helper-private-'), 'helper');
    mkdirSync(opened);
    chmodSync(opened, 0o755);
    expect(ownFolder(opened, OTHERS_ANY)).toBe(false);
    expect(makeFolderPrivate(opened)).toBe(true);
    expect(statSync(opened).mode & 0o777).toBe(0o700);
    expect(ownFolder(opened, OTHERS_ANY)).toBe(true);
    const linked = join(tempDir('bd-helper-private-'), 'link');
    symlinkSync(opened, linked);
    expect(ownFolder(linked, OTHERS_ANY)).toBe(false);
    expect(makeFolderPrivate(linked)).toBe(false);
    expect(makeFolderPrivate(join(opened, 'missing'))).toBe(false);
  });
});
