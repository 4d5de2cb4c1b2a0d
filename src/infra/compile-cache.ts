import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readSync, rmSync, statSync, type BigIntStats } from 'node:fs';
import Module from 'node:module';
import { arch, homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';
import { cacheFolder, closeQuietly, fileStamp, openOwnFile, reclaimOwnFolder, writeOwnFile } from '../own-files.js';

/**
 * A code cache for the CommonJS files of node_modules (aws-cdk-lib is most of
 * them): V8 compiling its modules was about a quarter of `synth`. Each file is
 * compiled with `vm.Script` and the bytecode V8 made for it (including the
 * functions that ran) is kept in one file, read back by the next process:
 * its header, then the bytecode of each file as that file loads, into one
 * buffer the files share (V8 copies what it takes). So a run reads what it
 * uses, however much else the file keeps (other installations' files), and
 * touches no more new memory for it than its largest entry.
 *
 * Never stale: an entry is used only for the same path with the same device,
 * inode, size, modification and change time (npm gives every installed file
 * the same modification time, and V8 itself compares only the source's
 * length), and the cache file is for one Node, V8 and architecture. Its
 * entries carry a checksum: V8 release builds do not check one and would run
 * damaged bytecode. A missing, unreadable, foreign, truncated or damaged cache
 * file, or an unwritable folder, only means compiling as usual.
 *
 * Written once, when the process ends (or the synth worker has replied), to a
 * temporary file renamed over the old one: two processes at once each write a
 * whole file, the last one stays. The entries this run used or made go first;
 * then those of earlier runs while there is room, but not those whose file is
 * gone or changed, which could never be used again.
 *
 * The file keeps the entries (and the kept lookups below) of every
 * installation of the tool that shares it (each npx version, each project's
 * node_modules) in a table per installation: the part of a path before its
 * first `node_modules` folder (paths with none, such as a checkout's own
 * folders, share one table). A run reads the short header naming the tables,
 * then only the table of each installation whose files it loads (its own): the
 * others are read only by a run that writes the file. This run's entries and
 * answers go first, then earlier runs' entries, then their answers, at most
 * 2,000 answers an installation.
 *
 * The same file keeps where the `require`s that led into node_modules went
 * (`./x`, `pkg`, `pkg/sub`): Node's own lookup of each is a few stats, a
 * realpath and a read of the package scope, about 70 ms of `synth` for the
 * 550-odd of aws-cdk-lib. When Node has answered, the lookup is done again as
 * Node's CommonJS loader does it (the file, its extensions, a folder's `main`
 * or index, each node_modules up from the requiring folder, a package's
 * `exports` for `require`), without following links, noting every folder whose
 * entries it read and every `package.json`. The answer is kept only when that
 * lookup finds the very path Node answered (Node answers real paths, so no link
 * was on its way), and is used only while all it noted keep their stamps
 * (device, inode, size, times): adding, removing, renaming or re-pointing
 * anything in a folder changes the folder's. A path stamped within the last
 * {@link RECENT_MS} is not trusted to show the next change (file systems that
 * keep whole seconds). What the lookup does not follow keeps nothing: a link, a
 * `main` that leads nowhere, exports it does not read, the requiring package's
 * own name (Node reads that package.json first for every request, and it is
 * noted). `.`/`..`, absolute paths, `#imports`, Node's own modules,
 * `require.resolve` with options, a package name from a module whose search
 * paths are not Node's for its folder, and a process run with
 * `--preserve-symlinks` or with code before this one (`--require`, `--import`,
 * a loader) go to Node as always. Answers serve only a process started with the
 * same Node options and extensions, and none once a loader adds an extension;
 * a process that runs on stats a path again once its stamp is a second old.
 *
 * Bytecode is code: V8 runs what the file holds, and a checksum anyone can
 * recompute proves nothing about who wrote it. So the file is read and written
 * only as the tool's own files are (src/own-files.ts): from and into a folder
 * of the user's, not a link, that no one else may write; the file itself the
 * user's, writable by no one else, opened without following a link or waiting.
 */

/** Bumped when the layout of the file changes. */
const FORMAT = 'benchling-deploy code cache 2';
const MAGIC = Buffer.from('BDCODE2\n');
/** The cache file is kept under this size; the entries of the last run go first. */
export const COMPILE_CACHE_MAX_BYTES = 64 * 1024 * 1024;
const CACHE_FILE = 'code-cache.bin';

/** Set to `off` (or `0`) to compile without the cache. */
export const COMPILE_CACHE_SWITCH = 'BENCHLING_DEPLOY_COMPILE_CACHE';

/** `$XDG_CACHE_HOME/benchling-deploy/compile` (an absolute XDG_CACHE_HOME), else `~/.cache/benchling-deploy/compile`. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return cacheFolder('compile', env, home);
}

export interface CompileCacheOptions {
  /** Default: {@link compileCacheDir}. */
  readonly dir?: string;
  /** Which files go through the cache. Default: under a `node_modules` folder. */
  readonly include?: (filename: string) => boolean;
  /** Default: {@link COMPILE_CACHE_MAX_BYTES}. */
  readonly maxBytes?: number;
  /** Default: {@link RECENT_MS}. */
  readonly recentMs?: number;
  /**
   * Whether the cache file stays open for the run, each entry read as its file loads (see {@link readCacheParts}).
   * Default: yes, but on Windows, where a file held open cannot be replaced (this run's save, and any other
   * process's, would fail): there it is read whole and closed at once.
   */
  readonly holdOpen?: boolean;
}

export interface CompileCacheStats {
  /** Files compiled from cached bytecode that V8 took. */
  hits: number;
  /** Files with no usable entry (new, changed, or a damaged entry). */
  misses: number;
  /** Entries V8 refused (other V8 flags): compiled as usual. */
  rejected: number;
  /** Relative requires answered from the kept resolutions (the rest went to Node). */
  resolved: number;
}

/** Bumped when what a kept resolution is stamped by changes: answers kept by earlier rules are not used. */
const RESOLUTION_RULES = 4;

/** A path's stamp seen by this process is looked at again once this old (ms). */
const RESTAT_MS = 1000;

/** Kept resolutions at most for one installation, in the table its runs read (a `synth` keeps about 560; a table with more keeps none). */
const MAX_RESOLUTIONS = 2000;

/** A folder (or `package.json`) stamped this recently is not trusted to show the next change: see {@link createCompileCache}. */
export const RECENT_MS = 3000;

interface Entry {
  readonly file: string;
  readonly stamp: string;
  readonly sum: string;
  /** Bytes of bytecode. */
  readonly length: number;
  /**
   * The bytecode: read from the cache file when asked (into `into`, at least {@link length} long, when given), or
   * made by this run. Undefined when it cannot be read (the file closed, or it ends too soon).
   */
  bytes(into?: Buffer): Buffer | undefined;
}

interface Fresh {
  readonly stamp: string;
  readonly script: Script;
}

/** Where `request` from the folder `from` led, and the paths whose stamps decided it. */
interface Resolution {
  readonly from: string;
  readonly request: string;
  readonly result: string;
  /** [path, stamp] of each folder (and `package.json`) the answer depends on. */
  readonly stamps: readonly (readonly [string, string])[];
}

interface CacheFile {
  /** The entry kept for `file` (its installation's table read at the first ask). */
  entry(file: string): Entry | undefined;
  /** Every entry, of every installation (each table read). */
  entries(): Iterable<Entry>;
  /** The kept answer for `from + NUL + request` (its installation's table read at the first ask); none when the file was made under another loader (see {@link loaderContext}). */
  resolution(from: string, key: string): Resolution | undefined;
  /** Drops the kept answer for `from + NUL + request`. */
  forget(from: string, key: string): void;
  /** Every kept answer, of every installation (each table read), by key. */
  resolutions(): Iterable<readonly [string, Resolution]>;
  /** The length of the largest entry of the tables read so far (0 when none). */
  readonly largest: number;
  /** Closes the file: no entry's bytes (or table not yet read) can be read after. */
  close(): void;
}

export interface CompileCache {
  readonly stats: Readonly<CompileCacheStats>;
  /**
   * Writes the cache file if this process compiled anything new, and closes the one read (files loaded
   * after compile as usual). Once: later calls do nothing. Never throws.
   */
  save(): void;
  /**
   * Ends the cache without writing (the synth helper, whose cache folder was removed: a write would make it again),
   * and closes the file read. Once, as {@link save}: later calls of either do nothing.
   */
  forgo(): void;
  /** Restores the loader (for tests); does not save. */
  uninstall(): void;
}

type Compile = (this: Module, content: string, filename: string, format?: string) => unknown;
type ModuleInternals = typeof Module & {
  _resolveFilename(request: string, parent: Module, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: Module): string[] | null;
  _nodeModulePaths(from: string): string[];
  _extensions: unknown;
  _cache: unknown;
  prototype: { _compile: Compile };
};

const ModuleImpl = Module as unknown as ModuleInternals;

/** Which checksum this Node can make fast: crc32 from Node 20.15, else sha1. */
const checksumName: string = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? 'crc32' : 'sha1';
function checksum(data: Buffer): string {
  if (checksumName === 'crc32') return (zlib as unknown as { crc32(d: Buffer): number }).crc32(data).toString(16);
  return createHash('sha1').update(data).digest('hex');
}

/** What makes bytecode of one file valid elsewhere: Node, V8, architecture, checksum. */
function identity(): string {
  return `${FORMAT} node ${process.version} v8 ${process.versions.v8} ${arch()} ${checksumName}`;
}

function stampOf(filename: string): string | undefined {
  return statStamp(filename)?.stamp;
}

/** The stamp of a path, and the later of its modification and change times (ms). */
function statStamp(path: string): { stamp: string; changedMs: number } | undefined {
  try {
    const s = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (s === undefined) return undefined;
    return { stamp: fileStamp(s), changedMs: Number((s.mtimeNs > s.ctimeNs ? s.mtimeNs : s.ctimeNs) / 1_000_000n) };
  } catch {
    return undefined;
  }
}

/** `pkg`, `pkg/sub`, `@scope/pkg/sub`: the package's name and the rest. */
const BARE_RE = /^((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)(\/.*)?$/i;

/**
 * Which requests' answers are kept: `./x` and `../x`, and a package's name with or without a path
 * in it; not `.`, `..`, a trailing slash, an absolute path, `#imports` or Node's own modules.
 */
function kindOf(request: string): 'relative' | 'bare' | undefined {
  if (request.endsWith('/') || request.endsWith('/.') || request.endsWith('/..')) return undefined;
  if (request.startsWith('./') || request.startsWith('../')) return 'relative';
  if (BARE_RE.test(request) && !request.split('/').includes('..') && !Module.isBuiltin(request)) return 'bare';
  return undefined;
}

/**
 * What else decides a lookup besides the files: the extensions Node tries (another loader may add some),
 * whether links are kept as they are and Node's options (the conditions of packages' exports). Kept
 * answers serve only the same; none are kept under `--preserve-symlinks`.
 */
function loaderContext(): string | undefined {
  const options = process.env.NODE_OPTIONS ?? '';
  // As Node reads them: quotes in NODE_OPTIONS stripped, `_` and `-` alike in option names.
  const given = [...process.execArgv, options].join(' ').replace(/["']/g, '').replace(/_/g, '-');
  // Links kept as they are, or code run before this (--require, --import, a loader, a policy) that may answer lookups its own way.
  if (process.env.NODE_PRESERVE_SYMLINKS || given.includes('preserve-symlinks') || /(^|\s)(-r|--require|--import|--loader|--experimental-loader|--experimental-policy)(=|\s|$)/.test(given)) return undefined;
  // Node's options as given (--conditions and the like): answers serve only a process started the same way,
  // and kept by the same rules (answers kept by other rules are dropped).
  return JSON.stringify([RESOLUTION_RULES, Object.keys(ModuleImpl._extensions as object), process.execArgv, options]);
}

/**
 * The folders (and `package.json` files) whose entries decided that `request` from `from` is `result`,
 * or undefined when the answer is not one to keep. The lookup is done again, as Node's CommonJS
 * loader does it, on what is there now, noting each folder and file it reads; the answer is kept
 * only when that lookup finds `result` itself, by paths with no link on them (Node answers real
 * paths, so a path that is its own answer has none), and no stamped path changed too recently for
 * its stamp to show the next change. Anything the lookup does not follow (a link, a `main` that
 * leads nowhere, exports it does not read, the requiring package's own name) keeps nothing.
 */
function stampsOf(from: string, request: string, kind: 'relative' | 'bare', result: string, recentMs: number): Resolution['stamps'] | undefined {
  const read = new Set<string>();
  let found: string | undefined;
  try {
    // Node first tries the requiring package's own name, for any request: its package.json is read (and must parse).
    ownName(from, request, read);
    found = kind === 'relative' ? lookUpPlain(from, resolve(from, request), read) : lookUpPackage(from, request, read);
  } catch {
    return undefined;
  }
  if (found !== result) return undefined;
  const now = Date.now();
  const stamps: (readonly [string, string])[] = [];
  for (const path of read) {
    const s = statStamp(path);
    if (s === undefined || s.changedMs > now - recentMs) return undefined;
    stamps.push([path, s.stamp]);
  }
  return stamps;
}

/** A path the lookup cannot follow: nothing is kept. */
class NotFollowed extends Error {}

/**
 * What is at `path`, not following links: a link (or a device, a socket) is not followed. The folders
 * from the one `path` shares with `from` down to the deepest that holds it are noted as read: their
 * entries decide whether `path` is there (`from` and the folders above it are real, with no link).
 */
function kindAt(from: string, path: string, read: Set<string>): 'file' | 'folder' | 'absent' {
  let top = from;
  while (top !== path && !path.startsWith(top.endsWith(sep) ? top : top + sep)) {
    const up = dirname(top);
    if (up === top) throw new NotFollowed();
    top = up;
  }
  read.add(top);
  let dir = top;
  const parts = path.slice(top.length).split(sep).filter((p) => p !== '');
  for (let i = 0; i < parts.length; i++) {
    const next = join(dir, parts[i]!);
    const s = lstatSync(next, { throwIfNoEntry: false });
    if (s === undefined) return 'absent';
    if (s.isSymbolicLink() || !(s.isFile() || s.isDirectory())) throw new NotFollowed();
    if (i === parts.length - 1) return s.isFile() ? 'file' : 'folder';
    if (!s.isDirectory()) return 'absent';
    read.add(next);
    dir = next;
  }
  return 'folder';
}

/** A package.json the lookup reads, noted as read; undefined when it is not there. */
function manifestAt(from: string, folder: string, read: Set<string>): Record<string, unknown> | undefined {
  const path = join(folder, 'package.json');
  const kind = kindAt(from, path, read);
  if (kind === 'absent') return undefined;
  if (kind !== 'file') throw new NotFollowed();
  read.add(path);
  const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!isRecord(value)) throw new NotFollowed();
  return value;
}

/**
 * Node's lookup of a path (`./x` from its folder, or `pkg/sub` in one node_modules): the file, the file
 * with each extension, then a folder's `main` (the file, with extensions, its index) or its index.
 * Undefined when nothing is there; a `main` that leads nowhere (Node then warns and takes the index) is
 * not followed.
 */
function lookUpPlain(from: string, base: string, read: Set<string>): string | undefined {
  const exts = Object.keys(ModuleImpl._extensions as object);
  const firstFile = (paths: string[]) => paths.find((p) => kindAt(from, p, read) === 'file');
  const direct = firstFile([base, ...exts.map((e) => base + e)]);
  if (direct !== undefined) return direct;
  if (kindAt(from, base, read) !== 'folder') return undefined;
  const main = manifestAt(from, base, read)?.main;
  if (typeof main === 'string' && main !== '') {
    const m = resolve(base, main);
    const viaMain = firstFile([m, ...exts.map((e) => m + e), ...exts.map((e) => join(m, `index${e}`))]);
    if (viaMain === undefined) throw new NotFollowed();
    return viaMain;
  }
  return firstFile(exts.map((e) => join(base, `index${e}`)));
}

/** The conditions of a package's exports a CommonJS `require` takes; `import` and `types` never match. */
const REQUIRE_CONDITIONS = new Set(['require', 'node', 'default']);
const OTHER_CONDITIONS = new Set(['import', 'types']);

/** The target a package's `exports` gives `subpath` under `require`, for a plain string or conditions entry; else not followed. */
function exportsTarget(exports: unknown, subpath: string): string {
  const sugar = typeof exports === 'string' || Array.isArray(exports) || (isRecord(exports) && !Object.keys(exports).some((k) => k.startsWith('.')));
  const entry = sugar ? (subpath === '.' ? exports : undefined) : isRecord(exports) && Object.hasOwn(exports, subpath) ? exports[subpath] : undefined;
  const pick = (value: unknown, depth: number): string => {
    if (typeof value === 'string' && value.startsWith('./') && !value.includes('*') && !value.split('/').some((p) => p === '..' || p === 'node_modules')) return value;
    if (!isRecord(value) || depth > 8) throw new NotFollowed();
    for (const [key, inner] of Object.entries(value)) {
      if (REQUIRE_CONDITIONS.has(key)) return pick(inner, depth + 1);
      if (!OTHER_CONDITIONS.has(key)) throw new NotFollowed();
    }
    throw new NotFollowed();
  };
  return pick(entry, 0);
}

/**
 * The requiring package's own package.json, found walking up from the requiring folder to the first
 * node_modules, as Node reads it before any lookup (its `exports` answer the package's own name): the
 * folders walked and the file are noted; a request its exports would answer is not followed.
 */
function ownName(from: string, request: string, read: Set<string>): void {
  for (let dir = from; !dir.endsWith(`${sep}node_modules`); dir = dirname(dir)) {
    const own = manifestAt(from, dir, read);
    if (own !== undefined) {
      if (own.exports !== undefined && own.exports !== null && typeof own.name === 'string' && (request === own.name || request.startsWith(`${own.name}/`))) throw new NotFollowed();
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

/**
 * `pkg/sub`: Node first tries the requiring package's own name (the package.json found walking up from
 * the requiring folder), then each node_modules from that folder up: there the package's package.json
 * (`exports`), else the path as {@link lookUpPlain} does.
 */
function lookUpPackage(from: string, request: string, read: Set<string>): string | undefined {
  const [, name, rest] = BARE_RE.exec(request)!;
  for (const modules of ModuleImpl._nodeModulePaths(from)) {
    if (kindAt(from, modules, read) !== 'folder') continue;
    const pkg = join(modules, name!);
    const exports = manifestAt(from, pkg, read)?.exports;
    if (exports !== undefined && exports !== null) {
      const target = resolve(pkg, exportsTarget(exports, `.${rest ?? ''}`));
      if (kindAt(from, target, read) !== 'file') throw new NotFollowed();
      return target;
    }
    const found = lookUpPlain(from, join(modules, request), read);
    if (found !== undefined) return found;
  }
  return undefined;
}

const defaultInclude = (filename: string) => filename.includes(`${sep}node_modules${sep}`);

/** The installation a path belongs to, whose table in the cache file keeps it: what comes before its first `node_modules` folder ('' for none). */
export function installationOf(path: string): string {
  const at = path.indexOf(`${sep}node_modules${sep}`);
  return at < 0 ? '' : path.slice(0, at);
}

let installed: CompileCache | undefined;

/**
 * Installs the cache for the CommonJS files this process loads from now on
 * (once; later calls return the same cache). Undefined when switched off
 * with {@link COMPILE_CACHE_SWITCH}. In the main thread the cache is saved
 * when the process exits; a worker calls `save()` itself.
 */
export function installCompileCache(options: CompileCacheOptions = {}): CompileCache | undefined {
  if (installed) return installed;
  const off = process.env[COMPILE_CACHE_SWITCH];
  if (off === 'off' || off === '0') return undefined;
  installed = createCompileCache(options);
  if (isMainThread) process.once('exit', () => installed?.save());
  return installed;
}

/** The cache {@link installCompileCache} installed, if any. */
export function installedCompileCache(): CompileCache | undefined {
  return installed;
}

/** A cache hooked into the CommonJS loader until `uninstall()`; see {@link installCompileCache}. */
export function createCompileCache(options: CompileCacheOptions = {}): CompileCache {
  const dir = options.dir ?? compileCacheDir();
  const include = options.include ?? defaultInclude;
  const maxBytes = options.maxBytes ?? COMPILE_CACHE_MAX_BYTES;
  const recentMs = options.recentMs ?? RECENT_MS;
  const path = join(dir, CACHE_FILE);
  // Versions before the folder rule made it with the umask's mode (0775 under a umask of 002): the folder is made the
  // user's alone again, and the file others could write until now is dropped unread (the next save writes a new one).
  if (reclaimOwnFolder(dir)) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Not a file (a folder in its place): the read below finds no cache, the save cannot replace it.
    }
  }
  const holdOpen = options.holdOpen ?? process.platform !== 'win32';
  const file = readCacheParts(path, holdOpen);
  // The bytes of the entry being compiled, read into one buffer every entry shares: V8 has copied what it takes
  // once the Script is made. Made at its first use, as long as the largest entry of the tables read (made again
  // should an entry of a table read later be longer); only what is read is touched.
  let shared: Buffer | undefined;
  const used = new Map<string, Entry>();
  const fresh = new Map<string, Fresh>();
  const stats: CompileCacheStats = { hits: 0, misses: 0, rejected: 0, resolved: 0 };
  const original = ModuleImpl.prototype._compile;
  const originalResolve = ModuleImpl._resolveFilename;
  const context = loaderContext();
  // A loader that adds an extension later changes what Node tries: from then on Node answers, and nothing is kept.
  const extensions = Object.keys(ModuleImpl._extensions as object).join('\0');
  const sameExtensions = () => Object.keys(ModuleImpl._extensions as object).join('\0') === extensions;
  // Answers are kept and used only under a loader context (none with a preload, a loader or kept links).
  const keeps = context !== undefined;
  const newResolutions = new Map<string, Resolution>();
  const usedResolutions = new Map<string, Resolution>();
  // This process's stamp of each path a kept answer names, stat'ed again once a second old: a process that runs on still sees later changes.
  const current = new Map<string, { stamp: string | undefined; at: number }>();
  const stillSo = (r: Resolution) =>
    r.stamps.every(([p, stamp]) => {
      const now = performance.now();
      let seen = current.get(p);
      if (seen === undefined || now - seen.at > RESTAT_MS) current.set(p, (seen = { stamp: stampOf(p), at: now }));
      return seen.stamp === stamp;
    });
  /** Node's node_modules folders from a folder (a pure function of the path), each worked out once. */
  const lookupPaths = new Map<string, string[]>();
  const nodeModulePaths = (from: string) => {
    let paths = lookupPaths.get(from);
    if (paths === undefined) lookupPaths.set(from, (paths = ModuleImpl._nodeModulePaths(from)));
    return paths;
  };
  // A package name is looked up in the requiring module's own paths: answers serve only those Node works out for its folder.
  const ownPaths = (parent: Module, from: string) => {
    const expected = nodeModulePaths(from);
    const paths = parent.paths;
    return Array.isArray(paths) && expected.every((p, i) => paths[i] === p);
  };

  function resolveFilename(this: unknown, request: string, parent: Module | undefined, isMain: boolean, options?: unknown): string {
    const from = parent?.filename ? dirname(parent.filename) : undefined;
    const kind = kindOf(request);
    if (context === undefined || isMain || options !== undefined || from === undefined || kind === undefined || !sameExtensions() || (kind === 'bare' && !ownPaths(parent!, from))) {
      return originalResolve.call(this, request, parent!, isMain, options);
    }
    const key = `${from}\0${request}`;
    const kept = newResolutions.get(key) ?? file.resolution(from, key);
    if (kept !== undefined && stillSo(kept)) {
      stats.resolved++;
      usedResolutions.set(key, kept);
      return kept.result;
    }
    const result = originalResolve.call(this, request, parent!, isMain, options);
    const stamps = include(result) ? stampsOf(from, request, kind, result, recentMs) : undefined;
    if (stamps !== undefined) newResolutions.set(key, { from, request, result, stamps });
    else {
      // An answer no longer kept is dropped, whether an earlier run or this one kept it.
      file.forget(from, key);
      newResolutions.delete(key);
      usedResolutions.delete(key);
    }
    return result;
  }

  function compiled(this: Module, content: string, filename: string, format?: string): unknown {
    // ES modules are not ours.
    if (format === 'module' || !include(filename)) return original.call(this, content, filename, format);
    const stamp = stampOf(filename);
    if (stamp === undefined) return original.call(this, content, filename, format);
    const kept = file.entry(filename);
    const entry = kept !== undefined && kept.stamp === stamp ? kept : undefined;
    if (holdOpen && entry !== undefined && (shared === undefined || shared.length < entry.length)) shared = Buffer.allocUnsafeSlow(file.largest);
    const data = entry?.bytes(holdOpen ? shared : undefined);
    const usable = entry !== undefined && data !== undefined && checksum(data) === entry.sum;
    // Files that import() need Node's own loader for it. Text that V8 runs from a kept entry's bytecode is not
    // searched (7 MB for a synth): entries are made only of text searched and found without one, and V8 takes
    // the bytecode only for text of its length. Text compiled here from source always is.
    if (!usable && content.includes('import(')) return original.call(this, content, filename, format);
    let script: Script;
    try {
      script = new Script(ModuleImpl.wrap(content), { filename, ...(usable ? { cachedData: data } : {}) });
    } catch {
      // A syntax error (or an ES module's syntax): Node's loader reports it as it always does.
      return original.call(this, content, filename, format);
    }
    if (usable && script.cachedDataRejected === true && content.includes('import(')) return original.call(this, content, filename, format);
    if (usable && script.cachedDataRejected !== true) {
      stats.hits++;
      used.set(filename, entry);
    } else {
      if (usable) stats.rejected++;
      else stats.misses++;
      fresh.set(filename, { stamp, script });
    }
    const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return fn.call(this.exports, this.exports, requireOf(this), this, filename, dirname(filename));
  }

  ModuleImpl.prototype._compile = compiled;
  ModuleImpl._resolveFilename = resolveFilename;
  let saved = false;
  return {
    stats,
    save() {
      if (saved) return;
      saved = true;
      // Files loaded from now on compile as Node compiles them: the file read is closed below, and what they would add is never written.
      restore();
      try {
        if (fresh.size === 0 && newResolutions.size === 0) return;
        const entries: Entry[] = [...used.values()];
        for (const [file, f] of fresh) {
          const data = f.script.createCachedData();
          entries.push({ file, stamp: f.stamp, sum: checksum(data), length: data.length, bytes: () => data });
        }
        let size = entries.reduce((n, e) => n + e.length + e.file.length + 128, 0);
        // The answers this run found or used, counted with its entries: nothing is written when they alone are over
        // the bound. Then entries of earlier runs this one did not load, then answers of earlier runs (an
        // installation's table is read by each of its runs), while there is room; at most MAX_RESOLUTIONS answers an
        // installation, and no entry whose file is gone or changed.
        const answers = new Map<string, Resolution>();
        const perInstallation = new Map<string, number>();
        const add = (key: string, r: Resolution, earlier: boolean) => {
          const at = installationOf(r.from);
          const n = perInstallation.get(at) ?? 0;
          const more = r.from.length + r.request.length + r.result.length + 16 + r.stamps.reduce((m, [p, st]) => m + p.length + st.length + 8, 0);
          if (n >= MAX_RESOLUTIONS || answers.has(key) || (earlier && size + more > maxBytes)) return;
          answers.set(key, r);
          perInstallation.set(at, n + 1);
          size += more;
        };
        for (const [key, r] of newResolutions) add(key, r, false);
        for (const [key, r] of usedResolutions) add(key, r, false);
        if (size > maxBytes) return;
        for (const e of file.entries()) {
          if (used.has(e.file) || fresh.has(e.file)) continue;
          const more = e.length + e.file.length + 128;
          if (size + more > maxBytes || goneOrChanged(e.file, e.stamp)) continue;
          entries.push(e);
          size += more;
        }
        if (keeps) for (const [key, r] of file.resolutions()) add(key, r, true);
        // Each entry's bytes, read once more from the file read (one no longer readable is left out), which is then
        // closed before the new file is renamed over it (Windows refuses to replace a file held open).
        const kept = entries.flatMap((e) => {
          const data = e.bytes();
          return data === undefined ? [] : [{ ...e, data }];
        });
        file.close();
        writeCacheFile(path, kept, context, keeps ? [...answers.values()] : []);
      } catch {
        // No cache next time: nothing else depends on it.
      } finally {
        file.close();
      }
    },
    forgo() {
      if (saved) return;
      saved = true;
      restore();
      file.close();
    },
    uninstall() {
      restore();
      if (installed?.stats === stats) installed = undefined;
    },
  };

  function restore(): void {
    if (ModuleImpl.prototype._compile === compiled) ModuleImpl.prototype._compile = original;
    if (ModuleImpl._resolveFilename === resolveFilename) ModuleImpl._resolveFilename = originalResolve;
  }
}

/**
 * Whether an entry kept for `file` with `stamp` can never be used again: the file is gone (or a folder on its
 * path is a file now), or it is on the device the entry names and is not the file (or version) stamped. A file
 * on another device, or one this process cannot stat (no permission, a stale mount), may be another machine's
 * or container's view of a shared cache folder: its entry is left to the process that can judge it.
 */
function goneOrChanged(file: string, stamp: string): boolean {
  let s: BigIntStats | undefined;
  try {
    s = statSync(file, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR';
  }
  if (s === undefined) return true;
  return stamp !== fileStamp(s) && stamp.startsWith(`${s.dev}:`);
}

/** The `require` a CommonJS module gets, as Node's loader makes it. */
function requireOf(mod: Module): NodeJS.Require {
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolveFn = ((request: string, options?: unknown) => ModuleImpl._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolveFn.paths = (request: string) => ModuleImpl._resolveLookupPaths(request, mod);
  req.resolve = resolveFn;
  req.main = process.mainModule;
  req.extensions = ModuleImpl._extensions as NodeJS.RequireExtensions;
  req.cache = ModuleImpl._cache as NodeJS.Dict<NodeJS.Module>;
  return req;
}

/**
 * The entries of the cache file at `path`, each with its bytecode read (`data`); none when it is missing, foreign
 * or damaged, or when it or its folder is not only the user's (see {@link openOwnFile}), and none of an
 * installation whose table is damaged.
 */
export function readCacheFile(path: string): Map<string, Entry & { readonly data: Buffer }> {
  const file = readCacheParts(path);
  try {
    const read = new Map<string, Entry & { readonly data: Buffer }>();
    for (const e of file.entries()) {
      const data = e.bytes();
      if (data === undefined) return new Map();
      read.set(e.file, { ...e, data });
    }
    return read;
  } finally {
    file.close();
  }
}

/** One installation's part of the cache file: its entries and its kept answers (by `from + NUL + request`). */
interface Table {
  readonly entries: Map<string, Entry>;
  readonly resolutions: Map<string, Resolution>;
}

/**
 * The cache file at `path`: its header read, the table of an installation read (and checked) when one of its
 * entries or answers is first asked for, and the file left open for those and for each entry's bytes, read when
 * asked, until `close()` (closed at once when it names no table). Held open, it stays the file whose header was
 * read when another is renamed over it. A worker thread's open files are closed when it ends (Node tracks
 * them), so a worker ended before its save leaves none open. With `holdOpen` false the file is read whole and
 * closed at once. Nothing when the file is missing, foreign or damaged, or when it or its folder is not only the
 * user's (see {@link openOwnFile}); nothing of an installation whose table is damaged.
 */
export function readCacheParts(path: string, holdOpen = true): CacheFile {
  /** An installation with no table, or a damaged one: nothing is ever added to it. */
  const nothing: Table = { entries: new Map(), resolutions: new Map() };
  const none = (): CacheFile => ({ entry: () => undefined, entries: () => [], resolution: () => undefined, forget() {}, resolutions: () => [], largest: 0, close() {} });
  const opened = openOwnFile(path, COMPILE_CACHE_MAX_BYTES * 2);
  if (!opened) return none();
  const { fd, size } = opened;
  let open = true;
  const close = () => {
    if (open) closeQuietly(fd);
    open = false;
  };
  // Not held open: read whole now, and closed (Windows; see CompileCacheOptions.holdOpen).
  let whole: Buffer | undefined;
  if (!holdOpen) {
    try {
      whole = readFileSync(fd);
    } catch {
      return none();
    } finally {
      close();
    }
    if (whole.length !== size) return none();
  }
  /** `length` bytes from `start`, into `into` when given; undefined once closed, or when the file ends first or a read fails. */
  const read = (start: number, length: number, into?: Buffer): Buffer | undefined => {
    if (whole !== undefined) return start + length <= whole.length ? whole.subarray(start, start + length) : undefined;
    if (!open || (into !== undefined && into.length < length)) return undefined;
    const buf = into === undefined ? Buffer.allocUnsafe(length) : into.subarray(0, length);
    try {
      for (let at = 0; at < length; ) {
        const n = readSync(fd, buf, at, length - at, start + at);
        if (n === 0) return undefined;
        at += n;
      }
    } catch {
      return undefined;
    }
    return buf;
  };
  try {
    const head = read(0, MAGIC.length + 4);
    if (head === undefined || !head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a cache file');
    const headerEnd = MAGIC.length + 4 + head.readUInt32LE(MAGIC.length);
    if (headerEnd > size) throw new Error('truncated');
    const header = JSON.parse(read(MAGIC.length + 4, headerEnd - MAGIC.length - 4)?.toString('utf8') ?? '') as unknown;
    if (!isRecord(header) || header.identity !== identity() || !Array.isArray(header.groups) || !isCount(header.tables)) throw new Error('foreign');
    // The tables, then the entries' bytecode.
    const dataStart = headerEnd + header.tables;
    if (dataStart > size) throw new Error('truncated');
    const answers = header.loader === loaderContext();
    const groups = new Map<string, { readonly start: number; readonly length: number; table?: Table }>();
    // Of the entries of the tables read: each checked to lie within the file.
    let largest = 0;
    for (const g of header.groups as unknown[]) {
      if (!Array.isArray(g) || g.length !== 3) throw new Error('damaged');
      const [root, offset, length] = g as unknown[];
      if (typeof root !== 'string' || groups.has(root) || !isCount(offset) || !isCount(length) || offset + length > header.tables) throw new Error('damaged');
      groups.set(root, { start: headerEnd + offset, length });
    }
    if (groups.size === 0) close();
    /** An installation's table, read once: nothing of it when it is damaged, or names a file of another installation. */
    const tableOf = (root: string): Table => {
      const g = groups.get(root);
      if (g === undefined) return nothing;
      if (g.table !== undefined) return g.table;
      try {
        const t = JSON.parse(read(g.start, g.length)?.toString('utf8') ?? '') as unknown;
        if (!isRecord(t) || !Array.isArray(t.entries)) throw new Error('damaged');
        const entries = new Map<string, Entry>();
        for (const e of t.entries as unknown[]) {
          if (!Array.isArray(e) || e.length !== 5) throw new Error('damaged');
          const [file, stamp, offset, length, sum] = e as unknown[];
          if (typeof file !== 'string' || typeof stamp !== 'string' || typeof sum !== 'string' || installationOf(file) !== root) throw new Error('damaged');
          if (!isCount(offset) || !isCount(length) || length === 0) throw new Error('damaged');
          const start = dataStart + offset;
          if (start + length > size) throw new Error('truncated');
          entries.set(file, { file, stamp, sum, length, bytes: (into) => read(start, length, into) });
        }
        g.table = { entries, resolutions: answers ? readResolutions(t.paths, t.resolutions, root) : new Map() };
        for (const e of entries.values()) largest = Math.max(largest, e.length);
      } catch {
        g.table = nothing;
      }
      return g.table;
    };
    return {
      entry: (file) => tableOf(installationOf(file)).entries.get(file),
      *entries() {
        for (const root of groups.keys()) yield* tableOf(root).entries.values();
      },
      resolution: (from, key) => tableOf(installationOf(from)).resolutions.get(key),
      forget: (from, key) => void tableOf(installationOf(from)).resolutions.delete(key),
      *resolutions() {
        for (const root of groups.keys()) yield* tableOf(root).resolutions;
      },
      get largest() {
        return largest;
      },
      close,
    };
  } catch {
    close();
    return none();
  }
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * The kept resolutions of an installation's table: [path, stamp] rows, and [from, request, result, path indexes]
 * rows; none if any row is malformed or asks from another installation's folder.
 */
function readResolutions(paths: unknown, rows: unknown, root: string): Map<string, Resolution> {
  const found = new Map<string, Resolution>();
  if (!Array.isArray(paths) || !Array.isArray(rows) || rows.length > MAX_RESOLUTIONS) return found;
  const stamped: (readonly [string, string])[] = [];
  for (const p of paths as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') return new Map();
    stamped.push([p[0], p[1]]);
  }
  for (const r of rows as unknown[]) {
    if (!Array.isArray(r) || r.length !== 4) return new Map();
    const [from, request, result, indexes] = r as unknown[];
    if (typeof from !== 'string' || typeof request !== 'string' || typeof result !== 'string' || !Array.isArray(indexes) || indexes.length === 0) return new Map();
    if (installationOf(from) !== root || kindOf(request) === undefined || !indexes.every((i) => Number.isSafeInteger(i) && i >= 0 && i < stamped.length)) return new Map();
    found.set(`${from}\0${request}`, { from, request, result, stamps: (indexes as number[]).map((i) => stamped[i]!) });
  }
  return found;
}

/**
 * The file's layout: 8 bytes of magic, the header's length (4 bytes), the header (JSON: the identity, the loader
 * context, the tables' length, and for each installation its table's place), the tables
 * (JSON each: entries, stamped paths, answers), the entries' bytecode.
 */
function writeCacheFile(path: string, entries: readonly (Entry & { readonly data: Buffer })[], context: string | undefined, resolutions: readonly Resolution[]): void {
  const tables = new Map<string, { entries: unknown[]; index: Map<string, number>; paths: (readonly [string, string])[]; answers: unknown[] }>();
  const tableOf = (root: string) => {
    let t = tables.get(root);
    if (t === undefined) tables.set(root, (t = { entries: [], index: new Map(), paths: [], answers: [] }));
    return t;
  };
  let offset = 0;
  for (const e of entries) {
    const t = tableOf(installationOf(e.file));
    t.entries.push([e.file, e.stamp, offset, e.data.length, e.sum]);
    offset += e.data.length;
  }
  for (const r of resolutions) {
    const t = tableOf(installationOf(r.from));
    // Each stamped path once in its table: the answers of one folder share most of theirs.
    const indexes = r.stamps.map(([p, stamp]) => {
      const key = `${p}\0${stamp}`;
      let i = t.index.get(key);
      if (i === undefined) {
        i = t.paths.length;
        t.index.set(key, i);
        t.paths.push([p, stamp]);
      }
      return i;
    });
    t.answers.push([r.from, r.request, r.result, indexes]);
  }
  let at = 0;
  const texts: Buffer[] = [];
  const groups = [...tables].map(([root, t]) => {
    const text = Buffer.from(JSON.stringify({ entries: t.entries, paths: t.paths, resolutions: t.answers }));
    texts.push(text);
    const row = [root, at, text.length];
    at += text.length;
    return row;
  });
  const header = Buffer.from(JSON.stringify({ identity: identity(), loader: context ?? null, tables: at, groups }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  // Into a folder of the user's only, by a temporary file of its own and a rename; false (no cache next time) otherwise.
  writeOwnFile(path, () => Buffer.concat([MAGIC, length, header, ...texts, ...entries.map((e) => e.data)]));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
