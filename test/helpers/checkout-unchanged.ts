import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * What the code cache's kept lookups from dist/ read (src/infra/compile-cache.ts): the checkout's top folder,
 * its package.json, node_modules and dist/.
 */
const WATCHED = ['.', 'package.json', 'node_modules', 'dist'];

interface Seen {
  readonly stamp: string;
  /** A folder's names; none for a file. */
  readonly names: ReadonlySet<string>;
}

function look(root: string, path: string): Seen | undefined {
  const full = join(root, path);
  const s = statSync(full, { bigint: true, throwIfNoEntry: false });
  if (s === undefined) return undefined;
  return { stamp: `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, names: new Set(s.isDirectory() ? readdirSync(full) : []) };
}

/** What changed in a watched path between two looks: the names made and removed in a folder, or the path itself. */
function changes(before: ReadonlyMap<string, Seen | undefined>, after: ReadonlyMap<string, Seen | undefined>): string[] {
  const said: string[] = [];
  for (const [path, was] of before) {
    const now = after.get(path);
    if (was?.stamp === now?.stamp) continue;
    if (was === undefined || now === undefined) {
      said.push(`${path}: ${was === undefined ? 'made' : 'removed'}`);
      continue;
    }
    const made = [...now.names].filter((n) => !was.names.has(n));
    const removed = [...was.names].filter((n) => !now.names.has(n));
    const what = made.length + removed.length > 0 ? [...made.map((n) => `${n} made`), ...removed.map((n) => `${n} removed`)].join(', ') : 'changed (written, an entry made and removed or renamed over, or its mode)';
    said.push(`${path}: ${what}`);
  }
  return said;
}

function lookAll(root: string): Map<string, Seen | undefined> {
  return new Map(WATCHED.map((p) => [p, look(root, p)]));
}

/** Looks at `root`'s watched paths now; the function returned fails (throws, and sets the exit status) if they changed since. */
export function watchCheckout(root: string): () => void {
  const before = lookAll(root);
  return () => {
    const said = changes(before, lookAll(root));
    if (said.length === 0) return;
    // vitest reports an error thrown here without failing the run: the status is set as well.
    process.exitCode = 1;
    throw new Error(`the checkout changed during the test run (a test writes in folders of its own): ${said.join('; ')}`);
  };
}

/**
 * vitest's global set-up, listed first so that its teardown runs last: the checkout's top folder, its
 * package.json, node_modules and dist/ are left as they were by the run. Tests share the checkout, and a
 * name made or removed there mid-run changes the stamp of the lookups the code cache keeps from dist/, so a
 * test of that cache would see another test's doing (test/cli/synth-compile-cache.test.ts). A test writes in
 * folders of its own (tempDir), under bench/.out or test/fake-aws/.out. At the end, a change fails the run,
 * naming the path and the names made or removed. vitest's own: node_modules/.vite-temp is made as it reads
 * its config, before this; node_modules/.vite, where it writes its results after the last test, is made here.
 * Not in watch mode, where the checkout is being edited.
 */
export default function checkoutUnchanged(project?: { config?: { watch?: boolean } }): (() => void) | undefined {
  if (project?.config?.watch === true) return undefined;
  mkdirSync(join(ROOT, 'node_modules', '.vite'), { recursive: true });
  return watchCheckout(ROOT);
}
