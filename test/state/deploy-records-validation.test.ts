import { describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeployRecords, lockPathFor, readDeployRecords, recordDeploy } from '../../src/state/deploy-records.js';
import { acquireLock } from '../../src/config/lock.js';
import { rollbackEntry } from '../../src/infra/operations.js';
import { UserError } from '../../src/errors.js';
import { SECRET, prodProfile, tempDir } from '../helpers/fixtures.js';

/** deploy.json is untrusted input: what reaches cdk (rollback's tag) is checked like a profile's imageTag. */

const DIGEST = `sha256:${'a'.repeat(64)}`;
const entry = (imageTag: unknown) => ({ imageTag, deployedAt: '2026-10-01T00:00:00.000Z' });
const section = (history: unknown[], overrides: Record<string, unknown> = {}) => ({
  endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
  imageTag: '0.7.10',
  deployedAt: '2026-11-01T00:00:00.000Z',
  stackName: 'BenchlingWebhookStack',
  stage: 'prod',
  history,
  ...overrides,
});

function fileWith(content: unknown): string {
  const path = join(tempDir(), 'deploy.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problemOf(content: unknown): { path: string; error: string } {
  const path = fileWith(content);
  const read = readDeployRecords(path);
  if (read.state !== 'malformed') throw new Error(`expected ${path} to be refused, got ${read.state}`);
  return { path, error: read.error };
}

describe('deploy.json is validated like a profile', () => {
  it('refuses a history tag that is not an image tag, naming file, section and entry; the same entry with a valid tag loads', () => {
    const bad = [entry('0.7.2'), entry('0.7.1'), entry('0.7.0'), entry('0.6.9 --no-rollback')];
    const { path, error } = problemOf({ prod: section(bad) });
    expect(error).toBe(`${path}: prod.history[3].imageTag: expected a Docker tag (letters, digits, _ . -, at most 128) or sha256:<64 hex> (got "0.6.9 --no-rollback")`);
    expect(() => loadDeployRecords(path)).toThrow(UserError);
    const good = fileWith({ prod: section([...bad.slice(0, 3), entry('0.6.9')]) });
    expect(loadDeployRecords(good).prod!.history[3].imageTag).toBe('0.6.9');
  });

  it('loads a history entry with an empty image (a v0.6 section without one, kept by earlier versions); rollback skips it', () => {
    const path = fileWith({ prod: section([entry(''), entry('0.7.2')]) });
    const read = readDeployRecords(path);
    expect(read.state).toBe('ok');
    if (read.state !== 'ok') return;
    expect(read.records.prod!.history.map((h) => h.imageTag)).toEqual(['', '0.7.2']);
    expect(rollbackEntry(read.records.prod)?.imageTag).toBe('0.7.2');
    // The nearest refusal: a blank that is not empty.
    expect(problemOf({ prod: section([entry(' ')]) }).error).toMatch(/prod\.history\[0\]\.imageTag/);
  });

  it('takes a digest with 64 hex digits, not 63, nor a tag with a space, a leading dash or 129 characters', () => {
    expect(readDeployRecords(fileWith({ prod: section([entry(DIGEST)]) })).state).toBe('ok');
    expect(readDeployRecords(fileWith({ prod: section([entry('a'.repeat(128))]) })).state).toBe('ok');
    for (const tag of [`sha256:${'a'.repeat(63)}`, '0.6.9 ', '-rf', 'a'.repeat(129), ' ', 7, null]) {
      const { error } = problemOf({ prod: section([entry(tag)]) });
      expect(error, String(tag)).toMatch(/: prod\.history\[0\]\.imageTag: /);
    }
  });

  it("checks the section's own image, stage, stack name and history's shape, each by name", () => {
    expect(problemOf({ prod: section([], { imageTag: 'x;y' }) }).error).toMatch(/: prod\.imageTag: expected a Docker tag .*\(got "x;y"\)$/);
    expect(problemOf({ prod: section([], { stage: 'dev' }) }).error).toMatch(/: prod\.stage: expected "prod" \(the section's environment\) \(got "dev"\)$/);
    expect(problemOf({ prod: section([], { stackName: 'a b' }) }).error).toMatch(/: prod\.stackName: expected a CloudFormation stack name/);
    expect(problemOf({ dev: section([], { stage: 'dev', history: 'none' }) }).error).toMatch(/: dev\.history: expected an array/);
    expect(problemOf({ prod: section([{ ...entry('0.7.0'), by: 'me' }]) }).error).toMatch(/: prod\.history\[0\]\.by: unknown field/);
    expect(problemOf({ prod: section([], { imageTag: undefined }) }).error).toMatch(/: prod\.imageTag: required/);
    // The same sections with those fields right load.
    expect(readDeployRecords(fileWith({ dev: section([entry('0.7.0')], { stage: 'dev', imageTag: 'latest' }), prod: section([]) })).state).toBe('ok');
  });

  it('refuses an endpoint that is not a web address and a time that is not one, naming file, section and field; http(s) addresses and ISO times load, empty ones too', () => {
    for (const [field, value] of [
      ['endpoint', 'javascript:alert(1)'],
      ['endpoint', 'file:///etc/passwd'],
      ['endpoint', 'https://user:pass@e.example/prod'],
      ['endpoint', ' https://e.example/prod'],
      ['endpoint', `https://e.example/${'p'.repeat(2048)}`],
      ['webhookEndpoint', 'ftp://e.example/prod'],
      ['deployedAt', 'yesterday'],
      ['deployedAt', `2026-01-01T00:00:00.000Z${' '.repeat(64)}`],
      ['destroyedAt', 'not a date'],
      ['deploymentTimestamp', 'soon'],
    ] as const) {
      const { path, error } = problemOf({ prod: section([], { [field]: value }) });
      expect(error, `${field} ${value}`).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: prod\\.${field}: expected `));
      expect(error).toMatch(field.endsWith('At') || field === 'deploymentTimestamp' ? /an ISO-8601 time/ : /an https:\/\/ \(or http:\/\/\) address/);
    }
    const history = problemOf({ prod: section([{ imageTag: '0.7.1', deployedAt: 'not a date' }, { imageTag: '0.7.0', deployedAt: '2026-10-01T00:00:00.000Z', endpoint: 'file:///x' }]) });
    expect(history.error).toContain(`${history.path}: prod.history[0].deployedAt: expected when it was deployed: an ISO-8601 time`);
    expect(history.error).toContain(`${history.path}: prod.history[1].endpoint: expected the endpoint URL: an https:// (or http://) address`);
    for (const endpoint of ['https://abc123.execute-api.us-east-1.amazonaws.com/prod', 'http://127.0.0.1:8080/prod', '']) {
      expect(readDeployRecords(fileWith({ prod: section([], { endpoint }) })).state, endpoint).toBe('ok');
    }
    expect(readDeployRecords(fileWith({ prod: section([], { deployedAt: '2025-06-01T10:00:00+02:00', destroyedAt: '' }) })).state).toBe('ok');
  });

  it('a deploy whose stack names an endpoint that is not a web address records none, not one the next read would refuse the file for', async () => {
    const path = fileWith({ prod: section([]) });
    await recordDeploy(path, 'prod', { endpoint: 'javascript:alert(1)', imageTag: '0.7.11', deployedAt: '2026-11-02T00:00:00.000Z', stackName: 'BenchlingWebhookStack' });
    const read = readDeployRecords(path);
    expect(read.state).toBe('ok');
    expect(loadDeployRecords(path).prod).toMatchObject({ endpoint: '', imageTag: '0.7.11' });
  });

  it('names an unknown key by its own name, never by what a plain object inherits', () => {
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const text = `{"prod": {"endpoint": "https://e.execute-api.us-east-1.amazonaws.com/prod", "imageTag": "0.7.0", "deployedAt": "2026-01-01T00:00:00.000Z", "history": [], "${key}": "x"}}`;
      const { path, error } = problemOf(text);
      expect(error, key).toBe(`${path}: prod.${key}: unknown field; expected only the fields of a deploy.json section`);
    }
  });

  it('a profile in place of deploy.json is refused without showing the secret, with a hint to move it', () => {
    const path = fileWith(prodProfile({ profile: 'deploy', benchlingClientSecret: SECRET }));
    const read = readDeployRecords(path);
    expect(read.state).toBe('malformed');
    if (read.state !== 'malformed') return;
    expect(read.error).toContain(`${path}: benchlingClientSecret: unknown field`);
    expect(read.error).not.toContain(SECRET);
    expect(read.hint).toMatch(/looks like a profile/);
    let thrown: unknown;
    try {
      loadDeployRecords(path);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect(`${(thrown as UserError).message}\n${(thrown as UserError).hint}`).not.toContain(SECRET);
  });
});

describe('rollback target', () => {
  const record = (running: string, history: string[]) => loadDeployRecords(fileWith({ prod: section(history.map(entry), { imageTag: running }) })).prod;

  it('skips history entries equal to the running image and takes the next one', () => {
    expect(rollbackEntry(record('0.7.10', ['0.7.10', '0.7.10', '0.7.2']))?.imageTag).toBe('0.7.2');
    expect(rollbackEntry(record(DIGEST, [DIGEST, '0.7.2']))?.imageTag).toBe('0.7.2');
  });

  it('takes the newest entry when it differs from the running image, and none when all equal it', () => {
    expect(rollbackEntry(record('0.7.10', ['0.7.9', '0.7.2']))?.imageTag).toBe('0.7.9');
    expect(rollbackEntry(record('0.7.10', ['0.7.10']))).toBeUndefined();
  });
});

describe('deploy.json is its owner\'s only', () => {
  it('a record is written 0600, even over a file that was 0644 and whatever the umask', async () => {
    const path = fileWith({ prod: section([]) });
    chmodSync(path, 0o644);
    const umask = process.umask(0);
    try {
      await recordDeploy(path, 'prod', { endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.7.11', deployedAt: '2026-11-02T00:00:00.000Z', stackName: 'BenchlingWebhookStack' });
    } finally {
      process.umask(umask);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8')).prod.history[0].imageTag).toBe('0.7.10');
  });
});

describe('the lock is its owner\'s only too', () => {
  it('deploy.json.lock is mode 0600 whatever the umask, and holds no secret (pid, host, purpose, token)', () => {
    const path = join(tempDir(), 'deploy.json');
    const umask = process.umask(0);
    let lock;
    try {
      lock = acquireLock(lockPathFor(path), 'deploy prod');
    } finally {
      process.umask(umask);
    }
    try {
      expect(statSync(lockPathFor(path)).mode & 0o777).toBe(0o600);
      expect(Object.keys(JSON.parse(readFileSync(lockPathFor(path), 'utf8'))).sort()).toEqual(['host', 'pid', 'purpose', 'startedAt', 'token']);
    } finally {
      lock.release();
    }
  });
});
