import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** Runs bench/`script` with `env` added and `args`; a refused figure ends it at once, so 30 s is ample. */
function bench(script: string, env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [join(ROOT, 'bench', `${script}.mjs`), ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('figures a bench is given', () => {
  // Each a value the bench's figures would be NaN, empty or nonsense with (Number('') is 0, Number('1e5') is 100000).
  const refused: [script: string, label: string, env: Record<string, string>, args?: string[]][] = [
    ['deploy', 'BENCH_RUNS', { BENCH_RUNS: '0' }],
    ['deploy', 'BENCH_DEPLOY_STEP_MS', { BENCH_DEPLOY_STEP_MS: '-1' }],
    ['logs-open', 'BENCH_LOGS_OPEN_EVENTS', { BENCH_LOGS_OPEN_EVENTS: '1e5' }],
    ['logs-open', 'BENCH_LOGS_OPEN_RUNS', { BENCH_LOGS_OPEN_RUNS: '' }],
    ['logs', 'BENCH_LOGS_SECONDS', { BENCH_LOGS_SECONDS: '14' }],
    ['logs', 'BENCH_LOGS_RATE', { BENCH_LOGS_RATE: '499' }],
    ['logs', 'BENCH_LOGS_RATE', { BENCH_LOGS_RATE: 'fast' }],
    ['older', 'BENCH_RUNS', { BENCH_RUNS: '2.5', BENCH_OLDER_TOOL: ROOT }],
    ['plan', 'BENCH_PLAN_RUNS', { BENCH_PLAN_RUNS: '0' }],
    ['plan', 'BENCH_PLAN_LATENCY_MS', { BENCH_PLAN_LATENCY_MS: ' 40' }],
    ['plan', 'BENCH_PLAN_LATENCY_MS', { BENCH_PLAN_LATENCY_MS: '0' }],
    ['prepare', 'BENCH_PREPARE_RUNS', { BENCH_PREPARE_RUNS: 'NaN' }],
    ['status', 'BENCH_REFRESHES', { BENCH_REFRESHES: '0' }],
    ['status', 'BENCH_LATENCY_RUNS', { BENCH_LATENCY_RUNS: '10000' }],
    ['startup', 'BENCH_STARTUP_RUNS', { BENCH_STARTUP_RUNS: 'x' }],
    ['startup', '--runs', { BENCH_STARTUP_RUNS: '3' }, ['--runs', '0']],
    ['startup', 'BENCH_SOAK_MINUTES', { BENCH_SOAK_MINUTES: '1.255' }],
    ['startup', '--minutes', {}, ['--minutes', '0.5']],
    ['synth', 'BENCH_FLOOR_RUNS', { BENCH_FLOOR_RUNS: '-3' }],
    ['_dashboard-fake', '--latency', {}, ['--latency=-5']],
    ['_dashboard-fake', '--log-rate', {}, ['--log-rate', '1.5']],
  ];
  it.each(refused)('bench/%s refuses a bad %s with status 2, naming it, before it prints or starts anything', (script, label, env, args = []) => {
    const r = bench(script, env, args);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(2);
    const given = env[label] ?? args.find((a) => a.startsWith(`${label}=`))?.slice(label.length + 1) ?? args[args.indexOf(label) + 1];
    expect(r.stderr.trim()).toMatch(new RegExp(`^bench/${script}: ${label}: ${JSON.stringify(given).replace(/[.+]/g, '\\$&')} is not an? [a-z ]+ \\(a (whole )?number from \\d+ to \\d+`));
    expect(r.stdout).toBe('');
  });

  // An empty name among them once forked the bench's runs without end (a run of no mode ran the whole bench).
  it.each(['', 'polling,', 'live,foo'])('bench/logs refuses BENCH_LOGS_MODES=%j with status 2, naming the variable and the modes it takes', (modes) => {
    const r = bench('logs', { BENCH_LOGS_MODES: modes });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^bench/logs: BENCH_LOGS_MODES: ${JSON.stringify(modes)} names .*: it takes a comma-separated list of live-sampled, live, polling$`));
    expect(r.stdout).toBe('');
  });

  it('npm run bench checks every name it is given before it runs any bench', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'run.mjs'), 'status', 'nosuch'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^bench: no bench\/nosuch\.mjs \(have: /);
    expect(r.stdout).toBe('');
  });

  it('a flag a bench does not know ends it with status 2 and the flag named', () => {
    const r = bench('startup', {}, ['--minute', '5']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^bench\/startup: .*'--minute'/);
    expect(r.stdout).toBe('');
  });

  it('takes each figure it allows, and the fallback when none is given', () => {
    const code = [
      "import { setting } from './bench/_settings.mjs';",
      "const m = { what: 'a number of minutes', min: 1, max: 1440, decimals: 2 };",
      "console.log(JSON.stringify([setting('A', '5', 1), setting('B', undefined, 7), setting('C', '0', 1, { min: 0, max: 10 }), setting('D', '1.25', 1, m), setting('E', '1440', 1, m), setting('F', '9999', 1), setting('G', '007', 1)]));",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([5, 7, 0, 1.25, 1440, 9999, 7]);
  });
});
