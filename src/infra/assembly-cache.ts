import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withoutClientSecret, type StackProfiles } from '../config/pairing.js';
import { cacheFolder, ownFolder, readOwnFile } from '../own-files.js';
import { randomHex } from '../random-hex.js';
import type { Synthesizer } from './deploy.js';

/**
 * Synthesized assemblies kept by a content key, so a second plan of the same
 * profiles (a second `d` in the dashboard; `diff` then `deploy`) copies the
 * assembly instead of loading aws-cdk-lib and building the stack again.
 *
 * The key covers everything the template depends on:
 * - the profiles as synthesis gets them, every field but the client secret
 *   (which never reaches the template). The Quilt values a deploy resolves
 *   from the Quilt stack's outputs enter as parameters, not the template;
 *   those the profile gives (the parameters' defaults) are profile fields;
 * - the code that builds the template: every file of the running bundle
 *   (`dist/`), or of `src/` when run from source, and the tool's version;
 * - the versions of aws-cdk-lib and constructs;
 * - the App's context from outside: every `CDK_*` variable of the environment
 *   (CDK_CONTEXT_JSON, CDK_DEFAULT_REGION, ...).
 * A cached assembly is used only when every file it lists still has the
 * digest written beside it; anything else is a miss and a fresh synth.
 *
 * What a deploy sends is read from here, and a digest beside it proves nothing
 * about who wrote it: an entry is read only as the tool's own files are
 * (src/own-files.ts). The cache folder, the entry and every folder of its
 * assembly must be folders of the user's, not links, that no one else may
 * write; each file the user's, writable by no one else, opened without
 * following a link or waiting. Nothing is written into a cache folder that
 * fails that check.
 */

/** Entries kept; the least recently used go first. */
export const ASSEMBLY_CACHE_ENTRIES = 8;
/** Bumped when the layout of an entry changes. */
const ENTRY_FORMAT = 1;

/** What the key holds besides the profiles; each has a default read from this installation. */
export interface AssemblyKeyInputs {
  readonly toolVersion: string;
  /** A digest of the code that builds the template. */
  readonly templateSource: string;
  readonly cdkLibVersion: string;
  readonly constructsVersion: string;
  /** The App's context from the environment: `CDK_*` variables. */
  readonly context: Readonly<Record<string, string>>;
}

export interface AssemblyCacheOptions {
  /** Default: {@link assemblyCacheDir}. */
  readonly dir?: string;
  /** Default: {@link defaultKeyInputs}. */
  readonly inputs?: AssemblyKeyInputs;
  /** Told of each synthesis: whether the assembly was reused, and its key. */
  readonly onSynth?: (event: { readonly reused: boolean; readonly key: string }) => void;
}

interface EntryMeta {
  readonly format: number;
  readonly key: string;
  readonly hasAssets: boolean;
  readonly templateBodySize: number;
  /** Every file of the assembly, relative to it, with its sha256. */
  readonly files: Readonly<Record<string, string>>;
}

/** `$XDG_CACHE_HOME/benchling-deploy/assemblies` (an absolute XDG_CACHE_HOME), else `~/.cache/benchling-deploy/assemblies`. */
export function assemblyCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return cacheFolder('assemblies', env, home);
}

/** meta.json is a list of file names and digests: a bigger one is not the tool's. */
const META_MAX_BYTES = 1024 * 1024;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The content key of a synthesis of `profiles`. */
export function assemblyKey(profiles: StackProfiles, inputs: AssemblyKeyInputs = defaultKeyInputs(), synthOptions: SynthOptions = {}): string {
  const stackProfiles = { place: profiles.place, prod: withoutClientSecret(profiles.prod), dev: profiles.dev ? withoutClientSecret(profiles.dev) : null };
  // The logical ids an upgrade takes over from the deployed stack change the template too.
  return sha256(stableJson({ format: ENTRY_FORMAT, profiles: stackProfiles, inputs, keep: synthOptions.keep ?? null }));
}

/** JSON with object keys sorted, so equal values give equal keys whatever their keys' order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

let installed: Omit<AssemblyKeyInputs, 'context'> | undefined;

/** The key's inputs for this installation and environment (the code's digest is computed once per process). */
export function defaultKeyInputs(env: NodeJS.ProcessEnv = process.env): AssemblyKeyInputs {
  installed ??= {
    toolVersion: process.env.BENCHLING_DEPLOY_VERSION ?? '0.0.0-dev',
    templateSource: codeDigest(),
    cdkLibVersion: packageVersion('aws-cdk-lib'),
    constructsVersion: packageVersion('constructs'),
  };
  const context = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('CDK_') && e[1] !== undefined));
  return { ...installed, context };
}

const requireHere = createRequire(import.meta.url);

function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(requireHere.resolve(`${name}/package.json`), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

/** The folder of the running code: dist/, or src/ when run from source. */
function codeRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(here) === 'infra' && basename(dirname(here)) === 'src' ? dirname(here) : here;
}

/**
 * A digest of the code under `root` that builds the template: the ESM bundle's `.js` files and
 * dist/synth.cjs, in which the dashboard's synth worker builds it (or every source file under
 * src/ when run from source).
 */
export function codeDigest(root: string = codeRoot()): string {
  const hash = createHash('sha256');
  for (const file of listFiles(root).filter((f) => /\.(js|mjs|ts|tsx)$/.test(f) || basename(f) === 'synth.cjs').sort()) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * `synth` with a cache: the same profiles and inputs give the assembly synthesized
 * before, copied into `outDir`; otherwise `synth` runs and its assembly is kept.
 * The cache is an optimisation only: a cache that cannot be read or written
 * means a synth, never a failure.
 */
type SynthOptions = Parameters<Synthesizer>[2] & {};

export function withAssemblyCache(synth: Synthesizer, options: AssemblyCacheOptions = {}): Synthesizer {
  return async (profiles, outDir, synthOptions = {}) => {
    const dir = options.dir ?? assemblyCacheDir();
    const key = assemblyKey(profiles, options.inputs ?? defaultKeyInputs(), synthOptions);
    const entry = join(dir, key);
    const reused = restore(dir, entry, key, resolve(outDir));
    if (reused) {
      options.onSynth?.({ reused: true, key });
      return reused;
    }
    const result = await synth(profiles, outDir, synthOptions);
    keep(dir, entry, key, result);
    options.onSynth?.({ reused: false, key });
    return result;
  };
}

function restore(dir: string, entry: string, key: string, outDir: string): Awaited<ReturnType<Synthesizer>> | undefined {
  if (!ownFolder(dir) || !ownFolder(entry)) return undefined;
  const metaFile = readOwnFile(join(entry, 'meta.json'), META_MAX_BYTES);
  if (!metaFile) return undefined;
  let meta: EntryMeta;
  try {
    meta = JSON.parse(metaFile.data.toString('utf8')) as EntryMeta;
  } catch {
    return undefined;
  }
  if (!isMeta(meta, key)) return undefined;
  const assembly = join(entry, 'assembly');
  const contents = new Map<string, Buffer>();
  // Every folder from the assembly down to each file: readOwnFile checks a file's own folder, not those above it.
  const checked = new Set<string>();
  const ownFolders = (folder: string): boolean => {
    if (checked.has(folder)) return true;
    if (folder !== assembly && (dirname(folder) === folder || !ownFolders(dirname(folder)))) return false;
    if (!ownFolder(folder)) return false;
    checked.add(folder);
    return true;
  };
  for (const [file, digest] of Object.entries(meta.files)) {
    const path = join(assembly, file);
    const inside = relative(assembly, path);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) || !ownFolders(dirname(path))) return undefined;
    const data = readOwnFile(path)?.data;
    if (data === undefined || sha256(data) !== digest) return undefined;
    contents.set(file, data);
  }
  if (!contents.has('manifest.json')) return undefined;
  mkdirSync(outDir, { recursive: true });
  for (const [file, data] of contents) {
    mkdirSync(dirname(join(outDir, file)), { recursive: true });
    writeFileSync(join(outDir, file), data, { mode: 0o600 });
  }
  const now = new Date();
  try {
    // Its age orders eviction: a reused entry is recent.
    writeFileSync(join(entry, 'used'), now.toISOString(), { mode: 0o600 });
  } catch {
    // A read-only cache still serves.
  }
  return { assemblyDir: outDir, hasAssets: meta.hasAssets, templateBodySize: meta.templateBodySize };
}

function isMeta(meta: unknown, key: string): meta is EntryMeta {
  if (!meta || typeof meta !== 'object') return false;
  const m = meta as Record<string, unknown>;
  if (m.format !== ENTRY_FORMAT || m.key !== key || typeof m.hasAssets !== 'boolean' || typeof m.templateBodySize !== 'number') return false;
  if (!m.files || typeof m.files !== 'object') return false;
  return Object.entries(m.files).every(([f, d]) => typeof d === 'string' && /^[a-f0-9]{64}$/.test(d) && f !== '' && !f.split(/[\\/]/).some((p) => p === '..' || p === '') && !f.startsWith(sep));
}

function keep(dir: string, entry: string, key: string, result: Awaited<ReturnType<Synthesizer>>): void {
  const staging = `${entry}.tmp-${process.pid}-${randomHex(4)}`;
  let made = false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Nothing into a folder others may write, or that a link stands for.
    if (!ownFolder(dir)) return;
    // A new folder of its own (no `recursive`: one already there, whatever it is, is an error), that only the user may write.
    mkdirSync(staging, { mode: 0o700 });
    made = true;
    const files: Record<string, string> = {};
    // Written file by file, readable by the owner only, like everything else the tool keeps.
    for (const file of listFiles(result.assemblyDir)) {
      const name = relative(result.assemblyDir, file).split(sep).join('/');
      const data = readFileSync(file);
      files[name] = sha256(data);
      mkdirSync(dirname(join(staging, 'assembly', name)), { recursive: true, mode: 0o700 });
      writeFileSync(join(staging, 'assembly', name), data, { mode: 0o600 });
    }
    const meta: EntryMeta = { format: ENTRY_FORMAT, key, hasAssets: result.hasAssets, templateBodySize: result.templateBodySize, files };
    writeFileSync(join(staging, 'meta.json'), JSON.stringify(meta), { mode: 0o600 });
    rmSync(entry, { recursive: true, force: true });
    renameSync(staging, entry);
    evict(dir);
  } catch {
    // Another process may have kept the same entry meanwhile; either way this synth stands.
  } finally {
    if (made) rmSync(staging, { recursive: true, force: true });
  }
}

/** Keeps the {@link ASSEMBLY_CACHE_ENTRIES} most recently used entries. */
function evict(dir: string): void {
  const used = (entry: string) => {
    for (const f of ['used', 'meta.json']) if (existsSync(join(entry, f))) return statSync(join(entry, f)).mtimeMs;
    return 0;
  };
  const entries = readdirSync(dir)
    .filter((name) => /^[a-f0-9]{64}$/.test(name))
    .map((name) => ({ path: join(dir, name), at: used(join(dir, name)) }))
    .sort((a, b) => b.at - a.at);
  for (const old of entries.slice(ASSEMBLY_CACHE_ENTRIES)) rmSync(old.path, { recursive: true, force: true });
}
