/**
 * The dashboard's synthesis in a worker thread (synthesizeStackInWorker),
 * run from the built dist/synth-worker.cjs as the dashboard runs it: the same
 * assembly as synthesizing in this thread, and errors of the same kind, with
 * their hints; the synthesis run in dist/synth.cjs with its code cache.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { startSynthWorker, synthesizeStackInWorker } from '../../src/infra/operations.js';
import { readCacheFile } from '../../src/infra/compile-cache.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { ROOT, copyOfBuild } from '../helpers/cli.js';
import { synthWorkerReply } from '../helpers/synth-worker.js';
import { waitFor } from '../helpers/wait.js';
import { SECRET, tempDir } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

const WORKER = join(ROOT, 'dist', 'synth-worker.cjs');
const ECHO = join(ROOT, 'test', 'fixtures', 'echo-synth-worker.mjs');

type Modules = Record<'aws-cdk-lib' | 'constructs', { version: string; files: string[] }>;

/** What dist/synth-modules.cjs under `dist` lists (scripts/code-cache.mjs writes it). */
function modulesList(dist: string): Modules {
  return createRequire(join(dist, 'x.cjs'))(join(dist, 'synth-modules.cjs')) as Modules;
}

/** Waits until `file` exists (at most 20 s). */
const until = (file: string) => waitFor(() => existsSync(file), 20_000, `${file} to be written`);

/** Runs `body` with `name` set in this process's environment (a worker copies it when it starts). */
async function withEnv<T>(name: string, value: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

/** The newest modification time of any file under `dir`. */
function newest(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

beforeAll(() => {
  // The built worker is what the dashboard runs: an old build would test old code.
  const synthBundle = join(ROOT, 'dist', 'synth.cjs');
  if (!existsSync(WORKER) || !existsSync(synthBundle) || statSync(synthBundle).mtimeMs < Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'bin')))) {
    throw new Error('dist/synth-worker.cjs or dist/synth.cjs is missing or older than src/ and bin/: run `npm run build` first (npm test does)');
  }
});

describe('synthesizeStackInWorker', () => {
  const synth = synthesizeStackInWorker(pathToFileURL(WORKER));

  it('writes the same cloud assembly as synthesizing in this thread', async () => {
    const profiles = stackProfiles({ prod: { benchlingClientSecret: SECRET }, dev: {} });
    const out = join(tempDir(), 'cdk.out');
    const result = await synth(profiles, out);
    const here = synthesizeStack(profiles, join(tempDir(), 'cdk.out'));
    expect(result).toEqual({ assemblyDir: out, hasAssets: false, templateBodySize: here.templateBodySize });
    expect(JSON.parse(readFileSync(join(out, 'BenchlingWebhookStack.template.json'), 'utf8'))).toEqual(here.template);
    expect(readFileSync(join(out, 'BenchlingWebhookStack.template.json'), 'utf8')).not.toContain(SECRET);
  });

  it('gives back a refusal as the same UserError, with its hint', async () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const error = await synth(stackProfiles({ prod: {} }), file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ message: `--out: ${file} is a file, not a folder`, hint: 'name a new or empty folder' });
  });

  it('never sends the client secret to the worker (the template does not need it)', async () => {
    const echo = synthesizeStackInWorker(pathToFileURL(ECHO));
    const error = (await echo(stackProfiles({ prod: { benchlingClientSecret: SECRET }, dev: { benchlingClientSecret: SECRET } }), '/x').catch((e: unknown) => e)) as Error;
    const sent = JSON.parse(error.message) as { profiles: { prod: Record<string, unknown>; dev: Record<string, unknown> }; outDir: string };
    expect(sent.outDir).toBe('/x');
    expect(sent.profiles.prod.benchlingTenant).toBeDefined();
    expect(sent.profiles.dev.benchlingTenant).toBeDefined();
    expect(error.message).not.toContain(SECRET);
  });

  it('fills the code cache of node_modules before it answers, and the next worker takes it (the file left as it was)', async () => {
    const home = tempDir('bd-cache-');
    const file = join(home, 'benchling-deploy', 'compile', 'code-cache.bin');
    const saved = process.env.XDG_CACHE_HOME;
    // A worker gets a copy of this thread's environment when it starts.
    process.env.XDG_CACHE_HOME = home;
    try {
      await synth(stackProfiles({ prod: {} }), join(tempDir(), 'cdk.out'));
      expect([...readCacheFile(file).keys()].filter((f) => f.includes(`${sep}aws-cdk-lib${sep}`)).length).toBeGreaterThan(100);
      const before = statSync(file, { bigint: true });
      await synth(stackProfiles({ prod: {} }), join(tempDir(), 'cdk.out'));
      const after = statSync(file, { bigint: true });
      expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('a worker ended before it was asked (a refusal in the pre-flight) leaves no file open: the code cache it was reading is closed with the thread', async () => {
    const home = tempDir('bd-cache-');
    const real = join(realpathSync(home), 'benchling-deploy', 'compile', 'code-cache.bin');
    /** This process's descriptors open on the code cache file (the dashboard's process runs a worker per deploy). */
    const held = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(join('/proc/self/fd', fd)) === real;
      } catch {
        return false;
      }
    }).length;
    await withEnv('XDG_CACHE_HOME', home, async () => {
      await synth(stackProfiles({ prod: {} }), join(tempDir(), 'cdk.out'));
      expect(held()).toBe(0);
      const worker = startSynthWorker(pathToFileURL(WORKER));
      // Loading aws-cdk-lib ahead, it reads the cache file's entries as each file loads: the file is open until it saves.
      await waitFor(() => held() === 1, 20_000, 'the worker to open the code cache');
      worker.close();
      await waitFor(() => held() === 0, 10_000, 'the code cache to be closed with the thread');
    });
  });

  it('says so when the worker cannot run', async () => {
    const missing = synthesizeStackInWorker(pathToFileURL(join(tempDir(), 'synth-worker.cjs')));
    await expect(missing(stackProfiles({ prod: {} }), join(tempDir(), 'out'))).rejects.toThrow(/synth-worker\.cjs/);
  });

  it('startSynthWorker starts the thread at once, before the pre-flight decides what to synthesize; the profiles cross when asked, without the secret', async () => {
    const started = join(tempDir(), 'started');
    const worker = await withEnv('BD_TEST_WORKER_STARTED', started, async () => startSynthWorker(pathToFileURL(ECHO)));
    // Running, and sent nothing yet.
    await until(started);
    const error = (await worker.synthesize(stackProfiles({ prod: { benchlingClientSecret: SECRET } }), '/y', { keep: { restApi: 'Api1' } }).catch((e: unknown) => e)) as Error;
    expect(JSON.parse(error.message)).toMatchObject({ outDir: '/y', keep: { restApi: 'Api1' } });
    expect(error.message).not.toContain(SECRET);
  });

  it('a worker synthesizes once: a second call is refused', async () => {
    const worker = startSynthWorker(pathToFileURL(ECHO));
    await worker.synthesize(stackProfiles({ prod: {} }), '/x').catch(() => undefined);
    await expect(worker.synthesize(stackProfiles({ prod: {} }), '/x')).rejects.toThrow('a synthesis worker synthesizes once');
  });

  it('a worker never asked (the assembly reused, a refusal in the pre-flight) ends with close(); one that could not start is no unhandled error', async () => {
    const missing = startSynthWorker(pathToFileURL(join(tempDir(), 'synth-worker.cjs')));
    const started = join(tempDir(), 'started');
    const idle = await withEnv('BD_TEST_WORKER_STARTED', started, async () => startSynthWorker(pathToFileURL(ECHO)));
    await until(started);
    missing.close();
    idle.close();
    // Unhandled rejections fail the run (vitest): give the missing file's error its time to come.
    await new Promise((r) => setTimeout(r, 500));
    await expect(idle.synthesize(stackProfiles({ prod: {} }), '/x')).rejects.toThrow(/exited \(code 1\) without an answer/);
  });

  it('started early and asked a second later, the worker writes the same assembly as synthesizing here', async () => {
    const worker = startSynthWorker(pathToFileURL(WORKER));
    await new Promise((r) => setTimeout(r, 1000));
    const profiles = stackProfiles({ prod: {}, dev: {} });
    const out = join(tempDir(), 'cdk.out');
    const result = await worker.synthesize(profiles, out);
    const here = synthesizeStack(profiles, join(tempDir(), 'cdk.out'));
    expect(result).toEqual({ assemblyDir: out, hasAssets: false, templateBodySize: here.templateBodySize });
    expect(readFileSync(join(out, 'BenchlingWebhookStack.template.json'), 'utf8')).toBe(readFileSync(here.templatePath, 'utf8'));
  });

  it.each([
    ['missing', undefined, /^dist\/synth\.cjs could not be loaded \(ENOENT.*\); reinstall benchling-deploy/],
    ['one without the synthesis (another build)', 'module.exports = { runFrontCommand() {} };', /^dist\/synth\.cjs could not be loaded \(it exports no synthesis for the dashboard\); reinstall benchling-deploy/],
  ])('says which file of dist/ is broken, and how to mend it, when dist/synth.cjs is %s', async (_case, text, message) => {
    const { dist } = copyOfBuild((name) => !name.endsWith('.map') && name !== 'synth.cjs');
    if (text !== undefined) writeFileSync(join(dist, 'synth.cjs'), text);
    const broken = synthesizeStackInWorker(pathToFileURL(join(dist, 'synth-worker.cjs')));
    await expect(broken(stackProfiles({ prod: {} }), join(tempDir(), 'out'))).rejects.toThrow(message);
  });

  it("runs the synthesis in dist/synth.cjs, the synth command's bundle, with the code cache the build made for it", async () => {
    const reply = await synthWorkerReply(WORKER, { profiles: stackProfiles({ prod: {} }), outDir: join(tempDir(), 'cdk.out') });
    expect(reply).toMatchObject({ ok: true, hasAssets: false, bundleCodeCache: true });
    expect(reply.threadId).toBeGreaterThan(0);
  });

  it("loads ahead, before it synthesizes, every file of aws-cdk-lib and constructs the build's synthesis loaded (dist/synth-modules.cjs)", async () => {
    const recorded = modulesList(join(ROOT, 'dist'));
    expect(recorded['aws-cdk-lib'].files.length).toBeGreaterThan(100);
    const reply = await synthWorkerReply(WORKER, { profiles: stackProfiles({ prod: {}, dev: {} }), outDir: join(tempDir(), 'cdk.out') });
    expect(reply).toMatchObject({ ok: true, preloaded: recorded['aws-cdk-lib'].files.length + recorded.constructs.files.length });
  });

  it.each([
    ['for another version of aws-cdk-lib and constructs: nothing loaded ahead', (r: Modules) => ({ 'aws-cdk-lib': { ...r['aws-cdk-lib'], version: '2.0.0' }, constructs: { ...r.constructs, version: '10.0.0' } }), () => 0],
    ['with a file outside its package: loaded up to it', (r: Modules) => ({ ...r, 'aws-cdk-lib': { ...r['aws-cdk-lib'], files: [...r['aws-cdk-lib'].files.slice(0, 3), '../constructs/lib/index.js', ...r['aws-cdk-lib'].files.slice(3)] } }), (r: Modules) => 3 + r.constructs.files.length],
    ['with a file that is not there: loaded up to it', (r: Modules) => ({ ...r, 'aws-cdk-lib': { ...r['aws-cdk-lib'], files: [...r['aws-cdk-lib'].files.slice(0, 5), 'no-such-file.js'] } }), (r: Modules) => 5 + r.constructs.files.length],
    ['missing', () => undefined, () => 0],
  ])('a list of what to load ahead %s; the synthesis as usual', async (_case, edit, expected) => {
    const { dist } = copyOfBuild((name) => !name.endsWith('.map'));
    symlinkSync(join(ROOT, 'node_modules'), join(dirname(dist), 'node_modules'));
    const recorded = modulesList(dist);
    const list = edit(recorded);
    if (list === undefined) rmSync(join(dist, 'synth-modules.cjs'));
    else writeFileSync(join(dist, 'synth-modules.cjs'), `module.exports = ${JSON.stringify(list)};\n`);
    const profiles = stackProfiles({ prod: {}, dev: {} });
    const out = join(tempDir(), 'cdk.out');
    const reply = await synthWorkerReply(join(dist, 'synth-worker.cjs'), { profiles, outDir: out });
    expect(reply).toMatchObject({ ok: true, preloaded: expected(recorded) });
    expect(readFileSync(join(out, 'BenchlingWebhookStack.template.json'), 'utf8')).toBe(readFileSync(synthesizeStack(profiles, join(tempDir(), 'cdk.out')).templatePath, 'utf8'));
  });

  it("when the build's cache of synth.cjs does not serve, the worker writes this user's before it answers (the dashboard then ends the thread), and the next worker takes it", async () => {
    const { dist } = copyOfBuild((name) => !name.endsWith('.map') && name !== 'synth.cjs.cache');
    // aws-cdk-lib and constructs, from the copy as from an installed package.
    symlinkSync(join(ROOT, 'node_modules'), join(dirname(dist), 'node_modules'));
    const xdg = tempDir('bd-worker-xdg-');
    const env = { ...process.env, XDG_CACHE_HOME: xdg };
    const worker = join(dist, 'synth-worker.cjs');
    const first = await synthWorkerReply(worker, { profiles: stackProfiles({ prod: {} }), outDir: join(tempDir(), 'cdk.out') }, env);
    expect(first).toMatchObject({ ok: true, bundleCodeCache: false });
    const front = join(xdg, 'benchling-deploy', 'front');
    expect(readdirSync(front).filter((f) => f.endsWith('-synth.cjs.cache'))).toHaveLength(1);
    const second = await synthWorkerReply(worker, { profiles: stackProfiles({ prod: {} }), outDir: join(tempDir(), 'cdk.out') }, env);
    expect(second).toMatchObject({ ok: true, bundleCodeCache: true });
  });
});
