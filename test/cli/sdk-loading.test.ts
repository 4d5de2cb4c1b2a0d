import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCliAsync } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';

/**
 * The AWS SDK as the built command runs it: bundled into dist/ (src/state/sdk-modules.ts),
 * each client in a chunk of its own, loaded only by a command that calls AWS and only
 * for the clients it uses.
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

/** Runs the built command with the trace: the dist files it loaded, their sources, and SDK package files loaded from node_modules. */
async function traced(args: string[]) {
  const home = tempDir('bd-sdk-loading-home-');
  const r = await runCliAsync(args, {
    env: { ...fake.env, HOME: home, AWS_PROFILE: undefined, AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), NODE_OPTIONS: `--import ${TRACE}` },
  });
  const files = [...r.stderr.matchAll(/^LOADED (\S+) \d+$/gm)].map((m) => fileURLToPath(m[1]));
  const loadedAt = new Map([...r.stderr.matchAll(/^LOADED (\S+) (\d+)$/gm)].map((m) => [basename(fileURLToPath(m[1])).replace(/-[A-Z0-9]{8}\.js$/, ''), Number(m[2])]));
  const sources = files.flatMap((file) => (existsSync(`${file}.map`) ? (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources : []));
  const packages = [...r.stderr.matchAll(/^PACKAGE (\S+)$/gm)].map((m) => m[1]);
  const clients = files.map((f) => /^(client-[a-z0-9-]+)-[A-Z0-9]{8}\.js$/.exec(basename(f))?.[1]).filter(Boolean).sort();
  return { ...r, files, sources, packages, clients, loadedAt };
}

describe('the AWS SDK in the built command', () => {
  it('status runs the SDK bundled in dist/: its clients and core come from the bundle, no file of an SDK package is loaded', async () => {
    const r = await traced(['--config-dir', configDir(), 'status']);
    expect(r.stderr.replace(/^(LOADED|PACKAGE) .*\n/gm, '')).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^prod +default +healthy +2\/2 /m);
    expect(r.packages).toEqual([]);
    for (const bundled of ['@aws-sdk/client-ecs/', '@aws-sdk/client-cloudformation/', '@smithy/core/', '@aws-sdk/credential-provider-env/']) {
      expect(r.sources.some((s) => s.includes(`/node_modules/${bundled}`)), bundled).toBe(true);
    }
  });

  it('status loads every client its poll calls at once: those called once the stack has answered are loaded while it is read', async () => {
    fake.calls.reset();
    const slow = fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: 1500 });
    try {
      const r = await traced(['--config-dir', configDir(), 'status']);
      expect(r.status, r.stderr).toBe(0);
      const stackAsked = fake.calls.all.find((c) => c.operation === 'DescribeStacks')!.at;
      expect(r.clients).toEqual(['client-api-gateway', 'client-cloudformation', 'client-cloudwatch', 'client-ecs', 'client-elastic-load-balancing-v2', 'client-ssm', 'client-sts']);
      for (const client of ['client-ecs', 'client-elastic-load-balancing-v2', 'client-api-gateway', 'client-cloudwatch']) expect(r.loadedAt.get(client)! - stackAsked, client).toBeLessThan(1500);
    } finally {
      slow.remove();
    }
  });

  it('logs loads the clients it calls only (CloudFormation for the log group, CloudWatch Logs), not the status clients', async () => {
    const r = await traced(['--config-dir', configDir(), 'logs', '--environment', 'dev', '--since', '5m']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.packages).toEqual([]);
    expect(r.clients).toEqual(['client-cloudformation', 'client-cloudwatch-logs']);
  });

  it.each([[['--help']], [['validate']], [['profiles']], [['synth', '--out']]])('%j loads no code of the SDK', async (args) => {
    const r = await traced(['--config-dir', configDir(), ...args, ...(args[0] === 'synth' ? [join(tempDir('bd-sdk-loading-out-'), 'out')] : [])]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.files.length).toBeGreaterThan(1);
    expect(r.packages).toEqual([]);
    expect(r.clients).toEqual([]);
    expect(r.sources.filter((s) => SDK_SOURCE.test(s))).toEqual([]);
  });
});
