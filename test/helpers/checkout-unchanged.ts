import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** The folders whose stamps the code cache's kept lookups from dist/ depend on (src/infra/compile-cache.ts). */
const WATCHED = ['.', 'node_modules', 'dist'];

/** vitest's own, in node_modules: its bundled config (made as it starts) and its results (written as it ends, after the last test). */
const VITEST_OWN: Readonly<Record<string, readonly string[]>> = { node_modules: ['.vite', '.vite-temp'] };

interface Seen {
  readonly stamp: string;
  readonly names: ReadonlySet<string>;
}

function look(root: string, folder: string): Seen | undefined {
  const path = join(root, folder);
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (s === undefined) return undefined;
  return { stamp: `${s.ino}:${s.mtimeNs}:${s.ctimeNs}`, names: new Set(readdirSync(path)) };
}

/** What changed in a watched folder between two looks: names made and removed, or the folder itself. */
function changes(before: ReadonlyMap<string, Seen | undefined>, after: ReadonlyMap<string, Seen | undefined>): string[] {
  const said: string[] = [];
  for (const [folder, was] of before) {
    const now = after.get(folder);
    if (was?.stamp === now?.stamp) continue;
    if (was === undefined || now === undefined) {
      said.push(`${folder}: ${was === undefined ? 'made' : 'removed'}`);
      continue;
    }
    const own = VITEST_OWN[folder] ?? [];
    const made = [...now.names].filter((n) => !was.names.has(n) && !own.includes(n));
    const removed = [...was.names].filter((n) => !now.names.has(n) && !own.includes(n));
    if (made.length + removed.length === 0 && [...now.names].some((n) => own.includes(n) && !was.names.has(n))) continue;
    said.push(`${folder}: ${made.length + removed.length === 0 ? 'changed (an entry renamed over, or its mode)' : [...made.map((n) => `${n} made`), ...removed.map((n) => `${n} removed`)].join(', ')}`);
  }
  return said;
}

function lookAll(root: string): Map<string, Seen | undefined> {
  return new Map(WATCHED.map((f) => [f, look(root, f)]));
}

/** Looks at `root`'s watched folders now; the function returned fails (throws, and sets the exit status) if they changed since. */
export function watchCheckout(root: string): () => void {
  const before = lookAll(root);
  return () => {
    const said = changes(before, lookAll(root));
    if (said.length === 0) return;
    // vitest reports an error thrown here without failing the run: the status is set as well.
    process.exitCode = 1;
    throw new Error(`the tests changed the checkout (its folders keep their stamps through a run): ${said.join('; ')}`);
  };
}

/**
 * vitest's global set-up: the checkout's top folder, its node_modules and dist/ are left as they were by the
 * run's tests. Tests share the checkout, and a name made or removed there mid-run changes the stamp of the
 * lookups the code cache keeps from dist/, so a test of that cache would see another test's doing
 * (test/cli/synth-compile-cache.test.ts). A test writes in folders of its own (tempDir) or under bench/.out.
 * At the end, a change fails the run, naming the folder and the names made or removed.
 */
export default function checkoutUnchanged(): () => void {
  return watchCheckout(ROOT);
}
