import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest's global set-up: the tool's caches (compiled code, src/infra/compile-cache.ts; synthesized
 * assemblies, src/infra/assembly-cache.ts) go to a folder of this run, given to every test file
 * and the commands they start as XDG_CACHE_HOME, and removed at the end: a test run never writes
 * into the caller's ~/.cache, and never reuses what another run left.
 */
export default function cacheHome(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bd-test-cache-'));
  process.env.XDG_CACHE_HOME = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
