import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

it('bench/synth prints the whole command against node -e 0, and the floor under it: the first synthesis alone, measured with every file it loads in place', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'synth.mjs')], { cwd: ROOT, env: { ...process.env, BENCH_RUNS: '1', BENCH_FLOOR_RUNS: '1' }, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines.find((l) => l.startsWith('ratio synth / node:'))).toMatch(/^ratio synth \/ node: +\d+\.\dx; target <= 7x: (met|NOT met)$/);
  // The floor is reported only when the worker had every listed file loaded and ran dist/synth.cjs from its cache (else the bench fails).
  const floor = lines.find((l) => l.startsWith('floor,'))?.match(/median (\d+) ms, (\d+\.\d)x node -e 0 \((\d+) ms in these runs\)/);
  expect(floor, r.stdout).toBeTruthy();
  expect(Number(floor![1])).toBeGreaterThan(0);
  const least = lines.find((l) => l.startsWith('least a synth could take'))?.match(/: (\d+\.\d)x node -e 0; target <= 7x: (.*)$/);
  expect(least, r.stdout).toBeTruthy();
  // node -e 0 + the floor, over node -e 0: one more than the floor's ratio (rounding aside), and the verdict follows it.
  expect(Math.abs(Number(least![1]) - (Number(floor![2]) + 1))).toBeLessThanOrEqual(0.11);
  expect(lines.find((l) => l.startsWith('the rest of a synth'))).toMatch(/: -?\d+ ms, -?\d+\.\dx node -e 0$/);
  expect(least![2]).toBe(Number(least![1]) <= 7 ? 'not ruled out by the floor' : "out of reach of any start-up work (the floor is aws-cdk-lib's first synthesis of the stack)");
}, 120_000);
