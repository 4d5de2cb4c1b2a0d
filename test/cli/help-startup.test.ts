import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

describe('start-up of --help and argument errors', () => {
  it.each([[['--help']], [['deploy', '--help']], [['setup-profile', '--help']], [['deploy', '--no-such-flag']], [['test', '--timeout', '0']]])(
    '%j loads no command implementation, profile schema or zod: the parser and the option table only',
    (args) => {
      const run = loadedSources(args);
      expect(run.files.length).toBeGreaterThan(1);
      expect(run.sources.length).toBeGreaterThan(1);
      expect(run.sources.filter((s) => RUN_ONLY.some((re) => re.test(s)))).toEqual([]);
    },
  );

  it('a command that runs loads its implementation and the schema (so the check above can see them)', () => {
    const run = loadedSources(['validate']);
    expect(run.status).toBe(2);
    expect(run.sources.some((s) => s.endsWith('/bin/commands/profiles.ts'))).toBe(true);
    expect(run.sources.some((s) => /\/node_modules\/zod\//.test(s))).toBe(true);
  });
});
