/**
 * An option given twice on one line with two values (`deploy -e prod -e dev`) is refused with exit
 * status 2, naming it, and nothing runs: commander alone would take the last, so a script that
 * appends `-e dev` to a line that says `-e prod` would deploy dev without a word. Through the
 * built front, whichever bundle the line would have run in.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { devProfile, prodProfile, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';

function configWithRecords(): string {
  const dir = tempDir();
  writeJson(dir, 'default.json', prodProfile());
  writeJson(dir, 'dev.json', devProfile());
  writeJson(dir, 'deploy.json', { dev: { imageTag: 'latest', deployedAt: '2026-11-30T10:00:00.000Z', history: [] } });
  return dir;
}

describe('an option with a value given twice', () => {
  it.each([
    [['deploy', '-e', 'prod', '-e', 'dev', '-y'], '-e, --environment <env>'],
    [['deploy', '--environment=dev', '--image-tag', '1.0', '--environment', 'prod', '-y'], '-e, --environment <env>'],
    [['rollback', '-e', 'prod', '-e', 'dev', '-y'], '-e, --environment <env>'],
    [['destroy', '--stack-name', 'A', '--stack-name', 'B', '-y'], '--stack-name <name>'],
    [['status', '--config-dir', '/nonexistent'], '--config-dir <dir>'],
    [['validate', '--profile', 'dev', '--profile', 'default'], '--profile <name>'],
    [['--region', 'us-east-1', 'synth', '--region', 'eu-west-1'], '--region <region>'],
  ])('%j is refused with exit 2, naming %s; the config folder is untouched', (args, flags) => {
    const dir = configWithRecords();
    const before = snapshotDir(dir);
    const r = runCli(['--config-dir', dir, ...args], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`option '${flags}' given more than once, with two values: give it once`);
    expect(r.stdout).toBe('');
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('a flag without a value given twice means once: `validate --json --json` runs', () => {
    const dir = configWithRecords();
    const r = runCli(['--config-dir', dir, 'validate', '--json', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toBeTruthy();
  });

  it('the same value given twice means once: `--config-dir D validate --config-dir D` runs', () => {
    const dir = configWithRecords();
    const r = runCli(['--config-dir', dir, 'validate', '--config-dir', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toBeTruthy();
  });
});
