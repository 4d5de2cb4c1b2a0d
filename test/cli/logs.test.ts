/**
 * `benchling-deploy logs`: the built binary against the fake AWS endpoint
 * (pointed at it only through the environment), with real profiles in a
 * temporary config folder.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCliAsync, type CliResult } from '../helpers/cli.js';
import { SECRET, devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { namesOf, standardScenario, type Scenario } from '../fake-aws/scenario.js';
import { liveTailSessionsOpen, setFakeLogs } from '../fake-aws/services/logs.js';
import { useFakeAws } from '../helpers/fake-aws.js';

let awsDir: string;
const NOW = Date.now();

/** The standard world, its live tail updating every 100 ms, a few log lines in each environment's group. */
function world(): Scenario {
  const scenario = standardScenario();
  setFakeLogs(scenario, { updateIntervalMs: 100 });
  const dev = namesOf(scenario, 'dev').logGroup;
  const prod = namesOf(scenario, 'prod').logGroup;
  scenario.logGroups[dev] = [
    { logStreamName: 'webhook/app/d1', timestamp: NOW - 20 * 60_000, message: 'INFO dev too old' },
    { logStreamName: 'webhook/app/d1', timestamp: NOW - 5 * 60_000, message: 'INFO dev started' },
    { logStreamName: 'webhook/app/d1', timestamp: NOW - 4 * 60_000, message: '10.0.1.5 - - "GET /health HTTP/1.1" 200 -' },
    { logStreamName: 'webhook/app/d2', timestamp: NOW - 60_000, message: 'ERROR dev boom' },
  ];
  scenario.logGroups[prod] = [
    { logStreamName: 'webhook/app/p1', timestamp: NOW - 3 * 60_000, message: 'INFO prod started' },
    { logStreamName: 'webhook/app/p1', timestamp: NOW - 30_000, message: 'ERROR prod \u001b[31mred\u001b[0m' },
  ];
  return scenario;
}

/** The built binary reaches the fake through the environment given to it; this process's is left alone. */
const { fake } = useFakeAws({ scenario: world, processEnv: false });

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
});

beforeEach(() => {
  awsDir = tempDir('bd-cli-logs-aws-');
});

function configDir(options: { dev?: boolean } = {}): string {
  const dir = tempDir('bd-cli-logs-');
  writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }));
  if (options.dev !== false) writeJson(dir, 'dev.json', devProfile());
  return dir;
}

function env(): Record<string, string | undefined> {
  return { ...fake.env, AWS_PROFILE: undefined, AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'), AWS_CONFIG_FILE: join(awsDir, 'config') };
}

async function logs(args: string[], dir = configDir()): Promise<CliResult> {
  const r = await runCliAsync(['--config-dir', dir, 'logs', ...args], { env: env() });
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  return r;
}

const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

describe('benchling-deploy logs', () => {
  it('prints the last 10 minutes: time, stream, message, oldest first, health checks hidden', async () => {
    const r = await logs(['--environment', 'dev']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([`${iso(5 * 60_000)} webhook/app/d1 INFO dev started`, `${iso(60_000)} webhook/app/d2 ERROR dev boom`]);
    // The log group came from the stack's DevLogGroupName output.
    expect(fake.calls.count('DescribeStacks')).toBe(1);
    expect((fake.calls.matching('FilterLogEvents')[0].input as { logGroupName: string }).logGroupName).toBe('/ecs/benchling-webhook/dev');
  });

  it('-e is --environment, as for deploy, diff, rollback, test and history', async () => {
    const r = await logs(['-e', 'dev']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('INFO dev started');
  });

  it('--since, --filter and --include-health', async () => {
    const since = await logs(['--environment', 'dev', '--since', '2m']);
    expect(since.stdout.trimEnd().split('\n')).toEqual([`${iso(60_000)} webhook/app/d2 ERROR dev boom`]);
    const filtered = await logs(['--environment', 'dev', '--filter', 'INFO', '--since', '1h']);
    expect(filtered.stdout.trimEnd().split('\n')).toEqual([`${iso(20 * 60_000)} webhook/app/d1 INFO dev too old`, `${iso(5 * 60_000)} webhook/app/d1 INFO dev started`]);
    expect(fake.calls.matching('FilterLogEvents').map((c) => (c.input as { filterPattern?: string }).filterPattern)).toContain('INFO');
    const health = await logs(['--environment', 'dev', '--include-health']);
    expect(health.stdout).toContain('"GET /health HTTP/1.1" 200');
    expect(health.stdout.trimEnd().split('\n')).toHaveLength(3);
  });

  it('--environment all interleaves both environments by time, each line labelled; control characters are shown, not obeyed', async () => {
    const r = await logs(['--environment', 'all']);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `dev  ${iso(5 * 60_000)} webhook/app/d1 INFO dev started`,
      `prod ${iso(3 * 60_000)} webhook/app/p1 INFO prod started`,
      `dev  ${iso(60_000)} webhook/app/d2 ERROR dev boom`,
      `prod ${iso(30_000)} webhook/app/p1 ERROR prod \\x1b[31mred\\x1b[0m`,
    ]);
    // Without a dev profile, all is prod alone.
    const prodOnly = await logs(['--environment', 'all'], configDir({ dev: false }));
    expect(prodOnly.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(prodOnly.stdout).not.toContain('dev');
  });

  it('no matching events: nothing on stdout, and stderr says so, naming the window and the filter (exit 0)', async () => {
    const filtered = await logs(['--environment', 'dev', '--filter', 'NOSUCHWORD']);
    expect(filtered.status).toBe(0);
    expect(filtered.stdout).toBe('');
    expect(filtered.stderr).toBe('no events in the last 10m (filter NOSUCHWORD)\n');
    const recent = await logs(['--environment', 'all', '--since', '10s']);
    expect(recent.stdout).toBe('');
    expect(recent.stderr).toBe('no events in the last 10s\n');
    // Lines printed: nothing more is said.
    expect((await logs(['--environment', 'dev', '--filter', 'ERROR'])).stderr).toBe('');
  });

  it('a window of more than 200,000 lines: the newest 200,000 are printed and a warning says from when (older lines are not read into memory), exit 0', { timeout: 120_000 }, async () => {
    const prod = namesOf(fake.scenario, 'prod').logGroup;
    const many = 200_001;
    fake.scenario.logGroups[prod] = Array.from({ length: many }, (_, i) => ({ logStreamName: 'webhook/app/p1', timestamp: NOW - 5 * 60_000 + Math.floor(i / 1_000), message: `INFO ${i}` }));
    const r = await logs(['--environment', 'prod', '--since', '10m']);
    expect(r.status, r.stderr).toBe(0);
    const printed = r.stdout.trimEnd().split('\n');
    expect(printed).toHaveLength(200_000);
    expect(printed[0]).toMatch(/ INFO 1$/);
    expect(printed.at(-1)).toMatch(/ INFO 200000$/);
    expect(r.stderr.trim()).toBe(`warning: prod: 200,000 lines or 32 Mi characters or more in the last 10m: the newest are shown, back to ${iso(5 * 60_000)}; older ones were not read: a --filter narrows them`);
  });

  it('--json prints one object per line', async () => {
    const r = await logs(['--environment', 'prod', '--json']);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ environment: 'prod', time: iso(30_000), stream: 'webhook/app/p1', message: 'ERROR prod \u001b[31mred\u001b[0m' });
    expect(typeof rows[1].id).toBe('string');
  });

  it.each([
    [[], /--environment: required/],
    [['--environment', 'staging'], /--environment: "staging" is not an environment; expected dev, prod or all/],
    [['--environment', 'dev', '--since', '10x'], /--since: "10x" is not a duration/],
    [['--environment', 'dev', '--since', '0m'], /--since: "0m" must be more than zero/],
    [['--environment', 'dev', '--filter', ' '], /--filter: empty/],
  ])('bad flags %j: exit 2 naming the flag, no AWS call', async (args, message) => {
    const r = await logs(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(fake.calls.count()).toBe(0);
  });

  it('no dev profile: exit 2 before any AWS call', async () => {
    const r = await logs(['--environment', 'dev'], configDir({ dev: false }));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no profile "dev"/);
    expect(fake.calls.count()).toBe(0);
  });

  it('AWS failures exit 1 with what to do: log in again, not deployed yet', async () => {
    fake.inject({ kind: 'expired-credentials', operation: 'DescribeStacks' });
    const expired = await logs(['--environment', 'prod']);
    expect(expired.status).toBe(1);
    expect(expired.stderr).toMatch(/log in again/);
    fake.clearFaults();

    delete fake.scenario.logGroups['/ecs/benchling-webhook/dev'];
    const missing = await logs(['--environment', 'dev']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/error: dev: no such log group \/ecs\/benchling-webhook\/dev: has the dev environment been deployed\?/);

    delete fake.scenario.stacks.BenchlingWebhookStack.outputs.DevLogGroupName;
    const noOutput = await logs(['--environment', 'dev']);
    expect(noOutput.status).toBe(1);
    expect(noOutput.stderr).toMatch(/no output DevLogGroupName: no such log group yet; has the dev environment been deployed\?/);

    delete fake.scenario.stacks.BenchlingWebhookStack;
    const noStack = await logs(['--environment', 'prod']);
    expect(noStack.status).toBe(1);
    expect(noStack.stderr).toMatch(/stack BenchlingWebhookStack not found in us-east-1/);
  });
});

/** The binary with --follow, read as it runs. */
function followCli(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string; exited: Promise<number | null> } {
  const e = { ...process.env, CI: 'true', NO_COLOR: '1', ...env() } as Record<string, string | undefined>;
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const child = spawn(process.execPath, [BIN, '--config-dir', configDir(), 'logs', '--follow', ...args], { env: e as NodeJS.ProcessEnv });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('benchling-deploy logs --follow', () => {
  it('prints the recent lines, then new ones as live tail pushes them, until SIGINT (exit 0, session closed)', async () => {
    const f = followCli(['--environment', 'dev']);
    try {
      await waitFor('the recent lines', () => f.out().includes('ERROR dev boom'));
      // A live session, and the read that closes the gap before it answered (the fake reads the group as it answers):
      // a line written before that could be printed from the read; one written after can come only from live tail.
      await waitFor('a live session and its gap read answered', () => {
        const session = fake.calls.matching('StartLiveTail').at(-1);
        return liveTailSessionsOpen() === 1 && session !== undefined && fake.calls.matching('FilterLogEvents').some((c) => c.seq > session.seq && c.status === 200);
      });
      const reads = fake.calls.count('FilterLogEvents');
      fake.scenario.logGroups['/ecs/benchling-webhook/dev'].push({ logStreamName: 'webhook/app/d3', timestamp: Date.now(), message: 'INFO dev live line' });
      await waitFor('the live line', () => f.out().includes('INFO dev live line'));
      // Pushed by live tail: no read since it was written.
      expect(fake.calls.count('FilterLogEvents')).toBe(reads);
      f.child.kill('SIGINT');
      expect(await f.exited).toBe(0);
    } finally {
      f.child.kill('SIGKILL');
    }
    expect(f.err()).toBe('');
    const lines = f.out().trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ').slice(2).join(' '))).toEqual(['INFO dev started', 'ERROR dev boom', 'INFO dev live line']);
    expect(fake.calls.count('StartLiveTail')).toBe(1);
    await waitFor('the session closed', () => liveTailSessionsOpen() === 0, 3000);
  });

  it('a window of more than 200,000 lines: --follow starts from its newest 200,000, not from the whole window held in memory', { timeout: 120_000 }, async () => {
    const dev = namesOf(fake.scenario, 'dev').logGroup;
    fake.scenario.logGroups[dev] = Array.from({ length: 200_001 }, (_, i) => ({ logStreamName: 'webhook/app/d1', timestamp: NOW - 5 * 60_000 + Math.floor(i / 1_000), message: `INFO ${i}` }));
    const f = followCli(['--environment', 'dev']);
    try {
      await waitFor('the first lines', () => f.out().includes('INFO 200000\n'), 60_000);
      f.child.kill('SIGINT');
      expect(await f.exited).toBe(0);
    } finally {
      f.child.kill('SIGKILL');
    }
    const lines = f.out().trimEnd().split('\n');
    expect(lines).toHaveLength(200_000);
    expect(lines[0]).toMatch(/ INFO 1$/);
  });

  it('--environment all: the first lines of both environments are merged by time, like the rest', async () => {
    const f = followCli(['--environment', 'all']);
    try {
      await waitFor('the recent lines of both', () => f.out().trimEnd().split('\n').length >= 4);
      f.child.kill('SIGINT');
      expect(await f.exited).toBe(0);
    } finally {
      f.child.kill('SIGKILL');
    }
    expect(f.out().trimEnd().split('\n')).toEqual([
      `dev  ${iso(5 * 60_000)} webhook/app/d1 INFO dev started`,
      `prod ${iso(3 * 60_000)} webhook/app/p1 INFO prod started`,
      `dev  ${iso(60_000)} webhook/app/d2 ERROR dev boom`,
      `prod ${iso(30_000)} webhook/app/p1 ERROR prod \\x1b[31mred\\x1b[0m`,
    ]);
  });

  it('says when the recent past holds no matching events, and keeps waiting for new ones', async () => {
    const f = followCli(['--environment', 'all', '--filter', 'NOSUCHWORD']);
    try {
      await waitFor('the notice', () => f.err().includes('no events'));
      f.child.kill('SIGINT');
      expect(await f.exited).toBe(0);
    } finally {
      f.child.kill('SIGKILL');
    }
    expect(f.err()).toBe('no events in the last 10m (filter NOSUCHWORD); waiting for new ones\n');
    expect(f.out()).toBe('');
  });

  it('says once that it polls when live tail is refused, and keeps printing (SIGTERM: exit 0)', async () => {
    setFakeLogs(fake.scenario, { refuseLiveTail: 'AccessDeniedException' });
    const f = followCli(['--environment', 'all']);
    try {
      await waitFor('the polling notice for both', () => (f.err().match(/polling every 2 s instead/g) ?? []).length === 2);
      fake.scenario.logGroups['/ecs/benchling-webhook/prod'].push({ logStreamName: 'webhook/app/p2', timestamp: Date.now(), message: 'INFO prod polled line' });
      await waitFor('the polled line', () => f.out().includes('INFO prod polled line'));
      f.child.kill('SIGTERM');
      expect(await f.exited).toBe(0);
    } finally {
      f.child.kill('SIGKILL');
    }
    expect(f.err()).toMatch(/^note: dev: live tail is unavailable \(AccessDeniedException: .*logs:StartLiveTail\); polling every 2 s instead$/m);
    expect(f.out()).toMatch(/^prod \S+ webhook\/app\/p2 INFO prod polled line$/m);
    expect(f.out().match(/INFO prod polled line/g)).toHaveLength(1);
  });

  it('refused credentials end the follow with exit 1 and the words to log in again', async () => {
    fake.inject({ kind: 'expired-credentials', operation: 'FilterLogEvents' });
    const f = followCli(['--environment', 'prod']);
    let code: number | null;
    try {
      code = await f.exited;
    } finally {
      f.child.kill('SIGKILL');
    }
    expect(code).toBe(1);
    expect(f.err()).toMatch(/error: the AWS credentials were refused \(.*\): log in again/);
    expect(f.err()).toMatch(/hint: log in again/);
  });
});
