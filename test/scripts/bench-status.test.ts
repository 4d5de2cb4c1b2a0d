import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

it('bench/status prints what it measured as measured, and the older tool\'s figure only as a quote naming where it comes from; it leaves nothing in the caller\'s cache folder', () => {
  const callers = tempDir('bd-bench-caller-cache-');
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'status.mjs')], { cwd: ROOT, env: { ...process.env, XDG_CACHE_HOME: callers, BENCH_REFRESHES: '2', BENCH_LATENCY_RUNS: '2' }, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(readdirSync(callers, { recursive: true })).toEqual([]);
  const lines = r.stdout.split('\n');
  expect(lines.find((l) => l.startsWith('steady state:'))).toMatch(/median \d+ calls per refresh/);
  // Calls a minute with the metrics on, measured against the 36 of today and its target.
  expect(lines.find((l) => l.trim().startsWith('metrics on:'))).toMatch(/median 37 calls per minute .*monitoring:GetMetricData 1(,|$)/);
  expect(lines.find((l) => l.trim().startsWith('metrics off:'))).toMatch(/median 36 calls per minute/);
  expect(lines.find((l) => l.includes('a minute with metrics on'))).toMatch(/at most 37 a minute with metrics on \(36 today, 3 a refresh every 5 s, \+ 1\) -> met/);
  // status with slow answers, with and without the stack's parts kept: the same calls either way.
  const first = lines.find((l) => l.includes('no stack parts kept'))?.match(/: (\d+) ms, (\d+) calls/);
  const next = lines.find((l) => l.includes('the parts the run before kept'))?.match(/: +(\d+) ms, (\d+) calls/);
  expect(first, r.stdout).toBeTruthy();
  expect(next, r.stdout).toBeTruthy();
  expect(next![2]).toBe(first![2]);
  // The dashboard's start, health first: its health after the stack, services and target health; the same calls in all as without.
  expect(lines.find((l) => l.startsWith('dashboard start'))).toMatch(/its health after 4 calls \(cloudformation:DescribeStacks 1, ecs:DescribeServices 1, elasticloadbalancing:DescribeTargetHealth 2\)/);
  const inAll = lines.find((l) => l.includes('in all, against'))?.match(/(\d+) in all, against (\d+) for the first poll without health first/);
  expect(inAll, r.stdout).toBeTruthy();
  expect(inAll![1]).toBe(inAll![2]);
  const older = lines.filter((l) => /older/i.test(l));
  expect(older.length).toBeGreaterThan(0);
  for (const line of older) {
    expect(line).toMatch(/quoted/);
    expect(line).toMatch(/not measured in this run/);
    expect(line).toMatch(/quoted from the issue that set this bench's target/);
  }
}, 60_000);
