import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What to say when a file of dist/ is missing or damaged: which file, why, and how to mend it, in
 * one line (no prefix, no full stop: a poll's error shows it too). The one wording for every
 * bundle; bin/benchling-deploy.cjs repeats it for front.cjs, the one file it cannot come from.
 */
export function brokenInstallation(file: string, error: unknown): string {
  const reason = String((error as Error | null)?.message ?? error).split('\n')[0];
  return `dist/${file} could not be loaded (${reason}); reinstall benchling-deploy, or in a clone run \`npm run build\` (npm ci builds it)`;
}

/**
 * The name of the file whose absence `error` reports, when it is an import that found no file
 * (ERR_MODULE_NOT_FOUND) beside the file that imported it, in the folder of the build (the one
 * holding front.cjs): a chunk of the ESM bundle gone from dist/, imported by another (or by
 * front.cjs). Anything else, such as a file missing from a package of node_modules, undefined.
 */
export function missingBundleFile(error: unknown): string | undefined {
  const e = error as { code?: unknown; url?: unknown; message?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  // Greedy, up to the last " imported from ": a folder's name may hold a quote.
  const words = /^Cannot find module '(.*)' imported from (.+)$/.exec(String(e.message).split('\n')[0] ?? '');
  if (!words) return undefined;
  // The URL Node gives the error names the missing file exactly; the message, as a path.
  const missing = typeof e.url === 'string' && e.url.startsWith('file:') ? fileURLToPath(e.url) : words[1]!;
  const importer = words[2]!.startsWith('file:') ? fileURLToPath(words[2]!) : words[2]!;
  return dirname(missing) === dirname(importer) && existsSync(join(dirname(missing), 'front.cjs')) ? basename(missing) : undefined;
}
