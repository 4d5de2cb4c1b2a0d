import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyMigration, fileSystemIo, formatMigrationPlan, isNothingToDo, planMigration, type MigrationIo } from '../../src/state/migration.js';
import { inspectProfile } from '../../src/config/store.js';
import { loadDeployRecords, lockPathFor } from '../../src/state/deploy-records.js';
import { acquireLock, LockHeldError } from '../../src/config/lock.js';
import { ExternalError, UserError } from '../../src/errors.js';
import { prodProfile, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';
import { V06_PROD_ENDPOINT, V06_SECRET, V06_STACK_ARN, v06DefaultJson, v06DeployJson } from '../helpers/v06.js';

/** A config folder as the older tool left it: default.json readable by all, as v0.6 wrote it. */
function v06Folder(options: { dev?: boolean; deploy?: boolean; profile?: Record<string, unknown> } = {}): string {
  const dir = tempDir('bd-migrate-');
  writeJson(dir, 'default.json', options.profile ?? v06DefaultJson(), 0o644);
  if (options.deploy !== false) writeJson(dir, 'deploy.json', v06DeployJson({ dev: options.dev }), 0o644);
  return dir;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** The real file system, except that the write numbered `failAt` (0-based) throws, as a full disk would. */
function failingIo(failAt: number, also: (call: number, path: string) => boolean = () => false): MigrationIo & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    write(path, content, m) {
      const call = calls.length;
      calls.push(path);
      if (call === failAt || also(call, path)) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });
      fileSystemIo.write(path, content, m);
    },
    remove: (path) => fileSystemIo.remove(path),
  };
}

describe('planMigration', () => {
  it('reads the v0.6 files and writes nothing', () => {
    const dir = v06Folder({ dev: true });
    const before = snapshotDir(dir);
    const plan = planMigration(dir);
    expect(plan.profile.state).toBe('v0.6');
    expect(plan.records.state).toBe('v0.6');
    expect(plan.records.state === 'v0.6' && plan.records.converted).toEqual(['dev', 'prod']);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('shows every v0.6 key, each key with no place, and deploy.json, never the secret', () => {
    const dir = v06Folder({ dev: true });
    const text = formatMigrationPlan(planMigration(dir)).join('\n');
    expect(text).not.toContain(V06_SECRET);
    for (const key of Object.keys(v06DefaultJson())) expect(text).toMatch(new RegExp(`^\\s+${key}\\s`, 'm'));
    expect(text).toMatch(/benchlingClientSecret\s+-> benchlingClientSecret\s+\(set, not shown\)/);
    expect(text).toMatch(/^\s+quiltCatalog\s+resolved at run time from the Quilt stack's outputs/m);
    expect(text).toMatch(/prod\.webhookEndpoint\s+-> prod\.endpoint "https:\/\/abc123/);
    expect(text).toMatch(/dev\.deploymentTimestamp\s+-> dev\.deployedAt/);
    expect(text).toContain('original kept as default.v0.6.json');
    expect(text).toContain('original kept as deploy.v0.6.json');
  });

  it('refuses a malformed deploy.json before anything is written', () => {
    const dir = v06Folder({ deploy: false });
    writeJson(dir, 'deploy.json', '{ "prod": ', 0o644);
    const before = snapshotDir(dir);
    expect(() => planMigration(dir)).toThrow(join(dir, 'deploy.json'));
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('never replaces a kept original that differs', () => {
    const dir = v06Folder();
    writeJson(dir, 'default.v0.6.json', v06DefaultJson({ benchlingTenant: 'older' }), 0o600);
    const before = snapshotDir(dir);
    expect(() => planMigration(dir)).toThrow(/default\.v0\.6\.json: already exists and differs/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('has nothing to do in an empty folder, or for a current profile with no deploy.json', () => {
    expect(isNothingToDo(planMigration(tempDir()))).toBe(true);
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    expect(isNothingToDo(planMigration(dir))).toBe(true);
  });

  /** A v0.6 folder whose deploy.json names the stack at `stackArn`. */
  function folderWithStack(stackArn: string, profile: Record<string, unknown>): string {
    const dir = v06Folder({ profile, deploy: false });
    const deploy = v06DeployJson();
    (deploy.prod as Record<string, unknown>).stackArn = stackArn;
    writeJson(dir, 'deploy.json', deploy, 0o644);
    return dir;
  }
  const ACME_STACK = 'arn:aws:cloudformation:eu-west-1:210987654321:stack/AcmeWebhook/0a1b2c3d-0000-1111-2222-333344445555';

  it('keeps the stack the older tool deployed when its name, region or account is not the default, and its images beside it', () => {
    // The usual case: BenchlingWebhookStack where the profile points; nothing added.
    const usual = planMigration(v06Folder());
    expect(usual.profile.state === 'v0.6' && usual.profile.migration.profile).not.toHaveProperty('stackName');

    const dir = folderWithStack(ACME_STACK, v06DefaultJson({ cdkAccount: undefined, cdkRegion: '' }));
    const plan = planMigration(dir);
    expect(plan.profile.state).toBe('v0.6');
    if (plan.profile.state !== 'v0.6') return;
    const { migration } = plan.profile;
    expect(migration.profile).toMatchObject({
      stackName: 'AcmeWebhook',
      region: 'eu-west-1',
      account: '210987654321',
      imageRepository: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/quiltdata/benchling',
    });
    expect(migration.dropped).toContainEqual({ key: 'cdkRegion', reason: 'empty; region comes from deploy.json prod.stackArn (the stack the older tool deployed)' });
    const text = formatMigrationPlan(plan).join('\n');
    expect(text).toMatch(/deploy\.json prod\.stackArn\s+-> stackName\s+"AcmeWebhook" \(the stack the older tool deployed\)/);
    expect(text).toMatch(/deploy\.json prod\.stackArn\s+-> region\s+"eu-west-1"/);
    expect(text).toMatch(/ecrRepositoryName\s+-> imageRepository\s+"210987654321\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/quiltdata\/benchling" \(account and region from deploy\.json prod\.stackArn\)/);
    applyMigration(plan);
    const written = inspectProfile(dir, 'default');
    expect(written.problems).toEqual([]);
    expect(written.file).toMatchObject({ stackName: 'AcmeWebhook', region: 'eu-west-1', account: '210987654321' });
  });

  it('keeps nothing of the deployed stack when the file pins its place elsewhere, and says where the next deploy goes', () => {
    for (const pin of [{ cdkRegion: 'us-east-1', cdkAccount: undefined }, { cdkAccount: '123456789012', cdkRegion: undefined }]) {
      const plan = planMigration(folderWithStack(ACME_STACK, v06DefaultJson(pin)));
      if (plan.profile.state !== 'v0.6') throw new Error('expected a v0.6 plan');
      const { profile } = plan.profile.migration;
      expect(profile).not.toHaveProperty('stackName');
      expect(profile.region ?? 'us-east-1').toBe('us-east-1');
      expect(profile.account ?? '123456789012').toBe('123456789012');
      const [field, value] = Object.entries(pin).find(([, v]) => v !== undefined)!;
      expect(plan.notes).toContainEqual(
        `deploy.json prod.stackArn names stack AcmeWebhook in eu-west-1 (account 210987654321), but the file sets ${field === 'cdkRegion' ? 'region' : 'account'} "${value}"; the profile follows the file, so the next deploy goes there, not to that stack`,
      );
    }
  });

  it('notes another profile in the v0.6 layout, which it does not convert', () => {
    const dir = v06Folder();
    writeJson(dir, 'staging.json', v06DefaultJson(), 0o600);
    expect(planMigration(dir).notes).toEqual([expect.stringContaining(`${join(dir, 'staging.json')} also looks like a v0.6 profile`)]);
  });
});

describe('applyMigration', () => {
  for (const dev of [false, true]) {
    it(`writes the new default.json (0600) and deploy.json, keeping the originals beside (${dev ? 'with' : 'without'} a dev section)`, () => {
      const dir = v06Folder({ dev });
      const original = snapshotDir(dir);
      const plan = planMigration(dir);
      const done = applyMigration(plan);
      expect(done.written).toEqual([join(dir, 'default.json'), join(dir, 'deploy.json')]);
      expect(done.kept).toEqual([join(dir, 'default.v0.6.json'), join(dir, 'deploy.v0.6.json')]);

      // The originals, byte for byte; the one holding the secret readable only by its owner.
      expect(readFileSync(join(dir, 'default.v0.6.json'), 'utf8')).toBe(original['default.json'].content);
      expect(readFileSync(join(dir, 'deploy.v0.6.json'), 'utf8')).toBe(original['deploy.json'].content);
      expect(mode(join(dir, 'default.v0.6.json'))).toBe(0o600);

      // The new profile holds the secret: mode 0600, and it is valid as the prod profile.
      expect(mode(join(dir, 'default.json'))).toBe(0o600);
      const loaded = inspectProfile(dir, 'default');
      expect(loaded.problems).toEqual([]);
      expect(loaded.warnings).toEqual([]);
      expect(loaded.file).toEqual(plan.profile.state === 'v0.6' && plan.profile.migration.profile);
      expect(loaded.file?.benchlingClientSecret).toBe(V06_SECRET);

      const records = loadDeployRecords(join(dir, 'deploy.json'));
      expect(records.prod).toEqual({ endpoint: V06_PROD_ENDPOINT, imageTag: '0.6.3', deployedAt: '2025-06-01T10:00:00.000Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [] });
      expect(JSON.parse(readFileSync(join(dir, 'deploy.json'), 'utf8')).prod.stackArn).toBe(V06_STACK_ARN);
      if (dev) expect(records.dev).toMatchObject({ stage: 'dev', imageTag: 'latest', history: [] });
      else expect(records.dev).toBeUndefined();
      expect(existsSync(lockPathFor(join(dir, 'deploy.json')))).toBe(false);
    });
  }

  it('a second run changes nothing', () => {
    const dir = v06Folder({ dev: true });
    applyMigration(planMigration(dir));
    const after = snapshotDir(dir);
    const mtimes = Object.keys(after).map((f) => statSync(join(dir, f)).mtimeMs);
    const again = planMigration(dir);
    expect(isNothingToDo(again)).toBe(true);
    expect(formatMigrationPlan(again)[0]).toMatch(/^nothing to migrate in .*: default\.json is already in the current layout; deploy\.json is already in the current layout$/);
    expect(applyMigration(again)).toEqual({ written: [], kept: [] });
    expect(snapshotDir(dir)).toEqual(after);
    expect(Object.keys(after).map((f) => statSync(join(dir, f)).mtimeMs)).toEqual(mtimes);
  });

  it('converts only deploy.json when the profile is already current', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    writeJson(dir, 'deploy.json', v06DeployJson(), 0o644);
    const profileBefore = readFileSync(join(dir, 'default.json'), 'utf8');
    const done = applyMigration(planMigration(dir));
    expect(done.written).toEqual([join(dir, 'deploy.json')]);
    expect(readFileSync(join(dir, 'default.json'), 'utf8')).toBe(profileBefore);
    expect(existsSync(join(dir, 'default.v0.6.json'))).toBe(false);
    // Written by the tool, so its owner's only, though the original was 0644.
    expect(mode(join(dir, 'deploy.json'))).toBe(0o600);
    expect(mode(join(dir, 'deploy.v0.6.json'))).toBe(0o600);
  });

  // Writes in order: default.v0.6.json, deploy.v0.6.json, default.json, deploy.json.
  for (const failAt of [0, 1, 2, 3]) {
    it(`a failure at write ${failAt + 1} of 4 leaves the folder exactly as it was`, () => {
      const dir = v06Folder({ dev: true });
      const before = snapshotDir(dir);
      const io = failingIo(failAt);
      let error: unknown;
      try {
        applyMigration(planMigration(dir), io);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ExternalError);
      expect((error as ExternalError).message).toContain(`could not write ${io.calls[failAt]} (ENOSPC)`);
      expect((error as ExternalError).hint).toMatch(/^nothing was changed: the originals are in place/);
      expect(snapshotDir(dir)).toEqual(before);
      expect(existsSync(lockPathFor(join(dir, 'deploy.json')))).toBe(false);
    });
  }

  it('when putting an original back fails too, it keeps the backup and says how to restore it', () => {
    const dir = v06Folder();
    const original = readFileSync(join(dir, 'default.json'), 'utf8');
    // deploy.json fails, then so does restoring default.json (the 5th write).
    const io = failingIo(3, (call) => call === 4);
    let error: ExternalError | undefined;
    try {
      applyMigration(planMigration(dir), io);
    } catch (e) {
      error = e as ExternalError;
    }
    expect(error).toBeInstanceOf(ExternalError);
    expect(error!.hint).toContain(`the original is in ${join(dir, 'default.v0.6.json')}: mv ${join(dir, 'default.v0.6.json')} ${join(dir, 'default.json')}`);
    expect(readFileSync(join(dir, 'default.v0.6.json'), 'utf8')).toBe(original);
    // deploy.json's write failed, so it is the original, and its backup is gone.
    expect(existsSync(join(dir, 'deploy.v0.6.json'))).toBe(false);
    expect(error!.message + error!.hint).not.toContain(V06_SECRET);
  });

  it('reuses a kept original with the same bytes instead of rewriting it', () => {
    const dir = v06Folder();
    writeFileSync(join(dir, 'default.v0.6.json'), readFileSync(join(dir, 'default.json')), { mode: 0o600 });
    const io = failingIo(-1);
    applyMigration(planMigration(dir), io);
    expect(io.calls).toEqual([join(dir, 'deploy.v0.6.json'), join(dir, 'default.json'), join(dir, 'deploy.json')]);
  });

  it('refuses while a deploy holds the lock, writing nothing', () => {
    const dir = v06Folder();
    const plan = planMigration(dir);
    const before = snapshotDir(dir);
    const lock = acquireLock(lockPathFor(join(dir, 'deploy.json')), 'deploy prod');
    try {
      expect(() => applyMigration(plan)).toThrow(LockHeldError);
    } finally {
      lock.release();
    }
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('refuses when a file changed since the plan was shown, writing nothing', () => {
    const dir = v06Folder();
    const plan = planMigration(dir);
    writeJson(dir, 'deploy.json', v06DeployJson({ dev: true }), 0o644);
    const before = snapshotDir(dir);
    expect(() => applyMigration(plan)).toThrow(UserError);
    expect(() => applyMigration(plan)).toThrow(/deploy\.json: changed since the plan was made; nothing was written/);
    expect(snapshotDir(dir)).toEqual(before);
  });
});
