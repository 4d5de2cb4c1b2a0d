import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const TRACE_LOADED = fileURLToPath(new URL('../fixtures/trace-loaded-files.mjs', import.meta.url));

/** The source files bundled into the dist files the command loaded (from each file's source map). */
function loadedSources(args: string[]): { status: number | null; files: string[]; sources: string[] } {
  const home = tempDir('bd-help-');
  const r = spawnSync(process.execPath, ['--import', TRACE_LOADED, BIN, '--config-dir', home, ...args], {
    env: { PATH: process.env.PATH, HOME: home, CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const files = [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => fileURLToPath(m[1]));
  const sources = files.flatMap((file) => (existsSync(`${file}.map`) ? (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources : []));
  return { status: r.status, files, sources };
}

/** What only a command's run needs: its implementation, the profile schema and zod. */
const RUN_ONLY = [/\/bin\/commands\/(?!registry\.ts|setup-flags\.ts)[^/]+$/, /\/src\/config\/schema\.ts$/, /\/node_modules\/zod\//];
const names = (files: string[]) => files.map((f) => basename(f));

describe('start-up of --help and argument errors', () => {
  it.each([[['--help']], [['-v', '--help']], [['help', 'deploy']], [['deploy', '--help']], [['setup-profile', '--help']], [['deploy', '--no-such-flag']], [['test', '--timeout', '0']], [['no-such-command']]])(
    '%j loads the CommonJS front and its parser only: no ES module, no command implementation, profile schema or zod',
    (args) => {
      const run = loadedSources(args);
      expect(names(run.files)).toEqual(['front.cjs', 'light.cjs']);
      expect(run.sources.length).toBeGreaterThan(1);
      expect(run.sources.filter((s) => RUN_ONLY.some((re) => re.test(s)))).toEqual([]);
    },
  );

  it.each([[['--version']], [['-v']]])('%j is printed by the route: the front alone, no parser', (args) => {
    const home = tempDir('bd-help-home-');
    const r = spawnSync(process.execPath, ['--import', TRACE_LOADED, BIN, ...args], { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), CI: 'true' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect([...r.stderr.matchAll(/^LOADED \S+\/dist\/(\S+)$/gm)].map((m) => m[1])).toEqual(['front.cjs']);
  });

  it.each([[['validate']], [['profiles', '--json']]])('%j runs in the CommonJS front, from the route: its checks and the schema, no parser, no ES module', (args) => {
    const run = loadedSources(args);
    expect(names(run.files)).toEqual(['front.cjs', 'checks.cjs']);
    expect(run.sources.some((s) => s.endsWith('/bin/commands/profile-checks.ts'))).toBe(true);
    expect(run.sources.some((s) => /\/node_modules\/zod\//.test(s))).toBe(true);
  });

  it('validate with an option the route leaves to the parser (two short flags in one word) runs in the front too, from the parser', () => {
    const run = loadedSources(['-yy', 'validate']);
    expect(run.status).toBe(2);
    expect(names(run.files)).toEqual(['front.cjs', 'light.cjs', 'checks.cjs']);
  });

  it('a command that runs loads its implementation and the schema (so the checks above can see them)', () => {
    const run = loadedSources(['validate']);
    expect(run.status).toBe(2);
    expect(run.sources.some((s) => s.endsWith('/bin/commands/profile-checks.ts'))).toBe(true);
    expect(run.sources.some((s) => /\/node_modules\/zod\//.test(s))).toBe(true);
  });

  it.each([[['status']], [[]]])('%j (no terminal: CI) runs status in its own bundle of the front (dist/status.cjs): neither the parser nor the ES module bundle is loaded', (args) => {
    const run = loadedSources(args);
    expect(run.status).toBe(2);
    expect(names(run.files)).toEqual(['front.cjs', 'status.cjs']);
    expect(run.sources.some((s) => s.endsWith('/bin/commands/status.ts'))).toBe(true);
  });

  it.each([['validate', 'checks.cjs'], ['status', 'status.cjs'], ['synth', 'synth.cjs']])('%s with --refresh (read by the route as its parser reads it) runs in %s: no parser, no ES module', (command, bundle) => {
    const run = loadedSources(['--refresh', '2', command]);
    expect(run.status).toBe(2);
    expect(names(run.files)).toEqual(['front.cjs', bundle]);
  });

  it.each([['status', 'status.cjs'], ['synth', 'synth.cjs']])('%s on a line the front parser reads (two short flags in one word) runs in the ES module bundle, not in %s', (command, bundle) => {
    const run = loadedSources(['-yy', command]);
    expect(run.status).toBe(2);
    expect(names(run.files).slice(0, 2)).toEqual(['front.cjs', 'light.cjs']);
    expect(names(run.files)).toContain('cli.js');
    expect(names(run.files)).not.toContain(bundle);
  });

  it.each([[['synth']], [['synth', '--out', 'x', '--json']]])('%j runs synth in its own bundle of the front (dist/synth.cjs): neither the parser nor the ES module bundle is loaded', (args) => {
    const run = loadedSources(args);
    // No profiles in the folder: refused before aws-cdk-lib loads.
    expect(run.status).toBe(2);
    expect(names(run.files)).toEqual(['front.cjs', 'synth.cjs']);
    expect(run.sources.some((s) => s.endsWith('/bin/commands/synth.ts'))).toBe(true);
    expect(run.sources.filter((s) => /\/node_modules\/(commander|ink|react|@aws-sdk|execa)\//.test(s))).toEqual([]);
  });

  it.each([[['history', '--environment', 'prod']], [['diff', '--environment', 'dev']]])(
    '%j goes from the front to the ES module bundle at once: the front parser is not loaded',
    (args) => {
      const run = loadedSources(args);
      expect(run.status).toBe(2);
      expect(names(run.files)[0]).toBe('front.cjs');
      expect(names(run.files)).toContain('cli.js');
      expect(names(run.files)).not.toContain('light.cjs');
      expect(names(run.files)).not.toContain('checks.cjs');
    },
  );
});
