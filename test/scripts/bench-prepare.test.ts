import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

it('bench/prepare prints its figures and leaves nothing in the temporary folder (each run synthesizes into a folder of its own)', () => {
  // A temporary folder of its own: what the bench and its runs leave there is theirs.
  const tmp = tempDir('bd-bench-prepare-tmp-');
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'prepare.mjs')], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp, BENCH_PREPARE_RUNS: '1' }, encoding: 'utf8', timeout: 240_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/second plan, same profiles +longest stall +\d+ ms +wall +\d+ ms/);
  expect(readdirSync(tmp)).toEqual([]);
}, 240_000);
