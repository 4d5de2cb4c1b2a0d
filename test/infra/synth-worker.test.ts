/**
 * The dashboard's synthesis in a worker thread (synthesizeStackInWorker),
 * run from the built dist/synth-worker.js as the dashboard runs it: the same
 * assembly as synthesizing in this thread, and errors of the same kind, with
 * their hints.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { synthesizeStackInWorker } from '../../src/infra/operations.js';
import { readCacheFile } from '../../src/infra/compile-cache.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { ROOT } from '../helpers/cli.js';
import { SECRET, tempDir } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

const WORKER = join(ROOT, 'dist', 'synth-worker.js');

/** The newest modification time of any file under `dir`. */
function newest(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

beforeAll(() => {
  // The built worker is what the dashboard runs: an old build would test old code.
  if (!existsSync(WORKER) || statSync(WORKER).mtimeMs < newest(join(ROOT, 'src'))) {
    throw new Error('dist/synth-worker.js is missing or older than src/: run `npm run build` first (npm test does)');
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
    const echo = synthesizeStackInWorker(pathToFileURL(join(ROOT, 'test', 'fixtures', 'echo-synth-worker.mjs')));
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

  it('says so when the worker cannot run', async () => {
    const missing = synthesizeStackInWorker(pathToFileURL(join(tempDir(), 'synth-worker.js')));
    await expect(missing(stackProfiles({ prod: {} }), join(tempDir(), 'out'))).rejects.toThrow(/synth-worker\.js/);
  });
});
