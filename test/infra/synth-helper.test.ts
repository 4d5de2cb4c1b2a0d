/**
 * The synth helper's parts (src/infra/synth-helper.ts): where it is used, what a command
 * takes from its answers, the request's environment and working folder, and a helper
 * served in this process with a stand-in synthesis (the built one: test/cli/synth-helper.test.ts).
 */
import { mkdirSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StackProfiles } from '../../src/config/pairing.js';
import { UserError, UserErrors } from '../../src/errors.js';
import {
  checkAnswer,
  helperPlace,
  helperState,
  HELPER_ENTRY,
  moduleFiles,
  requestEnv,
  serveSynthHelper,
  synthByHelper,
  SYNTH_HELPER_SWITCH,
  withRequestContext,
  type HelperPlace,
  type SynthSummary,
} from '../../src/infra/synth-helper.js';
import { tempDir } from '../helpers/fixtures.js';

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
    // Other variables are the request's, not the helper's.
    expect(helperPlace(dist, { ...base(home), AWS_REGION: 'eu-west-1' }, [])).toEqual(place);
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

describe('requestEnv', () => {
  it('drops what holds secrets, keeps the rest', () => {
    expect(
      requestEnv({ AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't', GITHUB_TOKEN: 'g', DB_PASSWORD: 'p', MY_CREDENTIALS: 'c', SSH_PRIVATE_KEY: 'k', AWS_ACCESS_KEY_ID: 'AKID', AWS_REGION: 'us-east-1', HOME: '/h', UNSET: undefined }),
    ).toEqual({ AWS_ACCESS_KEY_ID: 'AKID', AWS_REGION: 'us-east-1', HOME: '/h' });
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

const target = '/tmp/out/asm';
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
    expect(checkAnswer({ ok: true, summary }, target)).toEqual({ ok: true, summary });
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
      { ok: true, summary: { ...summary, assemblyDir: '/tmp/out/other' } },
      { ok: true, summary: { ...summary, templatePath: '/etc/passwd' } },
      { ok: true, summary: { ...summary, templatePath: `${target}/../x.json` } },
      { ok: true, summary: { ...summary, templatePath: target } },
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
    for (const answer of bad) expect(checkAnswer(answer, target), JSON.stringify(answer)).toBeUndefined();
  });
});

describe('serveSynthHelper in this process', () => {
  const profiles = { place: { stackName: 'BenchlingWebhookStack' } } as unknown as StackProfiles;

  function place(): HelperPlace {
    const folder = join(tempDir('bd-helper-serve-'), 'helper');
    mkdirSync(folder, { mode: 0o700 });
    return { folder, socket: join(folder, 'synth-test.sock'), keyHash: 'a'.repeat(64) };
  }

  it("synthesizes with the request's environment and folder, answers user errors, refuses other keys, and stops (its socket removed) once its code changed", async () => {
    const p = place();
    const cwd = realpathSync(tempDir('bd-helper-cwd-'));
    const seen: { outDir: string; region: string | undefined; secret: string | undefined; cwd: string }[] = [];
    let changed: string | undefined;
    const served = serveSynthHelper({
      socket: p.socket,
      keyHash: p.keyHash,
      idleMs: 60_000,
      files: { changed: () => changed },
      synthesize(_profiles, outDir) {
        seen.push({ outDir, region: process.env.AWS_REGION, secret: process.env.AWS_SECRET_ACCESS_KEY, cwd: process.cwd() });
        if (outDir.endsWith('refused')) throw new UserError('--out: refused here', 'name another');
        if (outDir.endsWith('broken')) throw new Error('a bug');
        return { ...summary, assemblyDir: outDir, templatePath: join(outDir, 'BenchlingWebhookStack.template.json') };
      },
    });
    const ready = async () => {
      for (let i = 0; i < 100 && (await helperState(p)) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    };
    await ready();
    const env = { AWS_REGION: 'eu-central-1', AWS_SECRET_ACCESS_KEY: 'never-sent' };
    const cwdBefore = process.cwd();
    process.chdir(cwd);
    let ok, refused, broken, otherKey;
    try {
      ok = await synthByHelper(p, { profiles, outDir: '/tmp/out/one' }, env);
      refused = await synthByHelper(p, { profiles, outDir: '/tmp/out/refused' }, env);
      broken = await synthByHelper(p, { profiles, outDir: '/tmp/out/broken' }, env);
      otherKey = await synthByHelper({ ...p, keyHash: 'b'.repeat(64) }, { profiles, outDir: '/tmp/out/two' }, env);
    } finally {
      process.chdir(cwdBefore);
    }
    expect(ok).toEqual({ ok: true, summary: { ...summary, assemblyDir: '/tmp/out/one', templatePath: '/tmp/out/one/BenchlingWebhookStack.template.json' } });
    expect(refused?.ok === false && refused.error.message).toBe('--out: refused here');
    expect(broken).toBeUndefined();
    expect(otherKey).toBeUndefined();
    expect(seen).toEqual(['/tmp/out/one', '/tmp/out/refused', '/tmp/out/broken'].map((outDir) => ({ outDir, region: 'eu-central-1', secret: undefined, cwd })));
    expect(await helperState(p)).toEqual({ pid: process.pid, served: 1 });

    changed = '/node_modules/aws-cdk-lib/index.js';
    expect(await synthByHelper(p, { profiles, outDir: '/tmp/out/three' }, env)).toBeUndefined();
    expect(seen).toHaveLength(3);
    await served;
    expect(await helperState(p)).toBeUndefined();
    const { existsSync } = await import('node:fs');
    expect(existsSync(p.socket)).toBe(false);
  });

  it('takes over a socket file nothing answers at, and is not answered where the socket is not the user\u2019s folder\u2019s', async () => {
    const p = place();
    // A socket left by a helper that was killed: a file nothing listens at (a close would have removed it).
    const { spawn } = await import('node:child_process');
    const dead = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(p.socket)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => dead.stdout.once('data', r));
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    const { existsSync, chmodSync } = await import('node:fs');
    expect(existsSync(p.socket)).toBe(true);
    const served = serveSynthHelper({ socket: p.socket, keyHash: p.keyHash, idleMs: 1500, files: { changed: () => undefined }, synthesize: () => summary });
    let state;
    for (let i = 0; i < 100 && (state = await helperState(p)) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect(state).toEqual({ pid: process.pid, served: 0 });
    // A folder others may write is no place to trust a socket in.
    chmodSync(p.folder, 0o777);
    expect(await helperState(p)).toBeUndefined();
    chmodSync(p.folder, 0o700);
    await served;
  });
});
