import { mkdtempSync, writeFileSync, readFileSync, readdirSync, statSync, chmodSync, rmSync, renameSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const QUILT_ARN = 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555';
export const QUILT_ARN_DEV = 'arn:aws:cloudformation:us-west-2:210987654321:stack/QuiltDev/66666666-7777-8888-9999-000000000000';
/** A fake client secret; tests assert it never appears in output. */
export const SECRET = 'sEcReT-value-never-printed-9f8e7d';

const madeByThisFile: string[] = [];

/**
 * A fresh folder in the temporary folder. It lasts until the test file ends
 * (tests may keep its path across tests), then {@link removeTempDirs} removes
 * it: test/helpers/setup.ts runs that after every file.
 */
export function tempDir(prefix = 'bd-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeByThisFile.push(dir);
  return dir;
}

/**
 * Moves `path` (a file or a folder, the user's own) into a new folder of {@link tempDir}, under its own
 * name, and leaves a link to it in its place: a cache that must not be read or written through a link.
 * Returns where it went.
 */
export function linkInPlace(path: string): string {
  const elsewhere = join(tempDir('bd-test-elsewhere-'), basename(path));
  renameSync(path, elsewhere);
  symlinkSync(elsewhere, path);
  return elsewhere;
}

/** Removes every folder {@link tempDir} made so far. */
export function removeTempDirs(): void {
  for (const dir of madeByThisFile.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

export function prodProfile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    profile: 'default',
    benchlingTenant: 'acme',
    benchlingAppDefinitionId: 'appdef_prod',
    benchlingClientId: 'client_prod',
    quiltStackArn: QUILT_ARN,
    imageTag: '0.7.0',
    pkgBucket: 'acme-packages',
    ...overrides,
  };
}

export function devProfile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    profile: 'dev',
    benchlingTenant: 'acme-dev',
    benchlingAppDefinitionId: 'appdef_dev',
    benchlingClientId: 'client_dev',
    quiltStackArn: QUILT_ARN_DEV,
    pkgBucket: 'acme-dev-packages',
    ...overrides,
  };
}

export function writeJson(dir: string, name: string, value: unknown, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`, { mode });
  chmodSync(path, mode);
  return path;
}

/** Every file in a folder with its bytes and mode, to prove nothing changed. */
export function snapshotDir(dir: string): Record<string, { content: string; mode: number }> {
  const out: Record<string, { content: string; mode: number }> = {};
  for (const f of readdirSync(dir).sort()) {
    out[f] = { content: readFileSync(join(dir, f), 'utf8'), mode: statSync(join(dir, f)).mode & 0o777 };
  }
  return out;
}
