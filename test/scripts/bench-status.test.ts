import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

it('bench/status prints what it measured as measured, and the older tool\'s figure only as a quote naming where it comes from', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'status.mjs')], { cwd: ROOT, env: { ...process.env, BENCH_REFRESHES: '2' }, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines.find((l) => l.startsWith('steady state:'))).toMatch(/median \d+ calls per refresh/);
  const older = lines.filter((l) => /older/i.test(l));
  expect(older.length).toBeGreaterThan(0);
  for (const line of older) {
    expect(line).toMatch(/quoted/);
    expect(line).toMatch(/not measured in this run/);
    expect(line).toMatch(/quoted from the issue that set this bench's target/);
  }
}, 60_000);
