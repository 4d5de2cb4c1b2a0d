import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, copyOfBuild, runCliAsync } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';

/**
 * The AWS SDK as the built command runs it: bundled into dist/sdk.cjs (src/state/sdk-modules.ts),
 * compiled from the code cache the build wrote beside it, and loaded only by a command that calls AWS.
 */

const TRACE = fileURLToPath(new URL('../fixtures/trace-sdk-files.mjs', import.meta.url));
const SDK_SOURCE = /\/node_modules\/@(?:aws-sdk|aws|smithy)\//;

let fake: FakeAws;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  fake = await startFakeAws();
});
afterAll(async () => {
  await fake.close();
});

function configDir(): string {
  const dir = tempDir('bd-sdk-loading-');
  writeJson(dir, 'default.json', prodProfile());
  writeJson(dir, 'dev.json', devProfile());
  return dir;
}

/** Runs the built command (or the entry given, of a copy) with the trace: the dist files it loaded, their sources, and SDK package files loaded from node_modules. */
async function traced(args: string[], bin = BIN) {
  const home = tempDir('bd-sdk-loading-home-');
  // A cache folder of its own: a cache this user's run made (bin/front.ts) serves no other test's run.
  const env = { ...fake.env, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), AWS_PROFILE: undefined, AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), NODE_OPTIONS: `--import ${TRACE}`, TRACE_BUILTINS: '1' };
  const r = await runCliAsync(args, { env, bin });
  const files = [...new Set([...r.stderr.matchAll(/^LOADED (\S+) \d+$/gm)].map((m) => fileURLToPath(m[1])))];
  const sources = files.flatMap((file) => (existsSync(`${file}.map`) ? (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources : []));
  const packages = [...r.stderr.matchAll(/^PACKAGE (\S+)$/gm)].map((m) => m[1]);
  const codeCache = new Map([...r.stderr.matchAll(/^CODE CACHE (\S+) (\S+)$/gm)].map((m) => [basename(fileURLToPath(m[1])), m[2]]));
  const builtins = /^BUILTINS (\S*)$/m.exec(r.stderr)?.[1].split(',') ?? [];
  // The SDK's bundle, and any chunk of the ESM bundle holding an SDK client (there should be none).
  const sdkFiles = files.map((f) => basename(f)).filter((f) => f === 'sdk.cjs' || /^client-[a-z0-9-]+-[A-Z0-9]{8}\.js$/.test(f));
  return { ...r, files, sources, packages, codeCache, sdkFiles, builtins };
}

/** The answers are read as the Node streams they are (src/state/sdk-body.ts): Node's web streams never load, though its HTTP client did. */
function expectNoWebStreams(builtins: string[]): void {
  expect(builtins).toContain('http');
  expect(builtins.filter((m) => m.startsWith('internal/webstreams/readable') || m.startsWith('internal/webstreams/writable'))).toEqual([]);
}

describe('the AWS SDK in the built command', () => {
  it('status runs the SDK bundled in dist/: its clients and core come from the bundle, no file of an SDK package is loaded', async () => {
    const r = await traced(['--config-dir', configDir(), 'status']);
    expect(r.stderr.replace(/^(LOADED|PACKAGE|CODE CACHE|BUILTINS) .*\n/gm, '')).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^prod +default +healthy +2\/2 /m);
    expect(r.packages).toEqual([]);
    expect(r.sdkFiles).toEqual(['sdk.cjs']);
    // status runs in dist/status.cjs (bin/route.ts), both compiled from the build's code caches, which V8 took.
    expect(r.files.map((f) => basename(f))).toEqual(['front.cjs', 'status.cjs', 'sdk.cjs']);
    expect(r.codeCache.get('status.cjs')).toBe('accepted');
    expect(r.codeCache.get('sdk.cjs')).toBe('accepted');
    expectNoWebStreams(r.builtins);
    for (const bundled of ['@aws-sdk/client-ecs/', '@aws-sdk/client-cloudformation/', '@smithy/core/', '@aws-sdk/credential-provider-env/']) {
      expect(r.sources.some((s) => s.includes(`/node_modules/${bundled}`)), bundled).toBe(true);
    }
  });

  it('logs runs the same bundle of the SDK, from its code cache', async () => {
    const r = await traced(['--config-dir', configDir(), 'logs', '--environment', 'dev', '--since', '5m']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.packages).toEqual([]);
    expect(r.sdkFiles).toEqual(['sdk.cjs']);
    expect(r.codeCache.get('sdk.cjs')).toBe('accepted');
    expectNoWebStreams(r.builtins);
  });

  it.each([
    ['a cache V8 refuses (its data zeroed, the rest intact)', 'rejected', (cache: string) => {
      const file = readFileSync(cache);
      const head = 'benchling-deploy front code cache 1\n'.length;
      file.fill(0, head + 8 + file.readUInt32LE(head), head + 8 + file.readUInt32LE(head) + 64);
      writeFileSync(cache, file);
    }],
    ['a truncated cache', 'none', (cache: string) => writeFileSync(cache, readFileSync(cache).subarray(0, 100_000))],
    ['no cache', 'none', (cache: string) => writeFileSync(cache, '')],
  ])('with %s for the SDK bundle, status compiles it from source: the same answer', async (_what, state, spoil) => {
    const { bin, dist } = copyOfBuild();
    spoil(join(dist, 'sdk.cjs.cache'));
    const dir = configDir();
    const [real, copied] = [await traced(['--config-dir', dir, 'status']), await traced(['--config-dir', dir, 'status'], bin)];
    expect(copied.status, copied.stderr).toBe(0);
    expect(copied.codeCache.get('sdk.cjs')).toBe(state);
    expect(copied.stdout).toMatch(/^prod +default +healthy +2\/2 /m);
    expect(copied.stdout.replace(/\d+[smhd] ago/g, '')).toBe(real.stdout.replace(/\d+[smhd] ago/g, ''));
  });

  it('with dist/sdk.cjs missing, status names the file and how to mend it: exit 1, no stack, no unhandled rejection', async () => {
    const { bin, dist } = copyOfBuild();
    rmSync(join(dist, 'sdk.cjs'));
    const r = await traced(['--config-dir', configDir(), 'status'], bin);
    const out = `${r.stdout}${r.stderr.replace(/^(LOADED|PACKAGE|CODE CACHE|BUILTINS) .*\n/gm, '')}`;
    expect(r.status).toBe(1);
    expect(out).toMatch(/dist\/sdk\.cjs could not be loaded \(ENOENT[^)]*\); reinstall benchling-deploy, or in a clone run `npm run build` \(npm ci builds it\)/);
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toMatch(/Unhandled|triggerUncaughtException/);
  });

  it('with dist/status.cjs missing, the front says the installation is broken: exit 1, one line', async () => {
    const { bin, dist } = copyOfBuild();
    rmSync(join(dist, 'status.cjs'));
    const r = await runCliAsync(['--config-dir', configDir(), 'status'], { bin });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^benchling-deploy: dist\/status\.cjs could not be loaded \(ENOENT[^)]*\); reinstall benchling-deploy, or in a clone run `npm run build` \(npm ci builds it\)\.\n$/);
  });

  it.each([[['--help']], [['validate']], [['profiles']], [['synth', '--out']]])('%j loads no code of the SDK', async (args) => {
    const r = await traced(['--config-dir', configDir(), ...args, ...(args[0] === 'synth' ? [join(tempDir('bd-sdk-loading-out-'), 'out')] : [])]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.files.length).toBeGreaterThan(1);
    expect(r.packages).toEqual([]);
    expect(r.sdkFiles).toEqual([]);
    expect(r.sources.filter((s) => SDK_SOURCE.test(s))).toEqual([]);
  });
});
