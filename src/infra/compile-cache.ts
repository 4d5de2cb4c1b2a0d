import { createHash } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import Module from 'node:module';
import { arch, homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';
import { cacheFolder, readOwnFile, reclaimOwnFolder, writeOwnFile } from '../own-files.js';

/**
 * A code cache for the CommonJS files of node_modules (aws-cdk-lib is most of
 * them): V8 compiling its modules was about a quarter of `synth`. Each file is
 * compiled with `vm.Script` and the bytecode V8 made for it (including the
 * functions that ran) is kept in one file, read back by the next process.
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
 * whole file, the last one stays.
 *
 * Bytecode is code: V8 runs what the file holds, and a checksum anyone can
 * recompute proves nothing about who wrote it. So the file is read and written
 * only as the tool's own files are (src/own-files.ts): from and into a folder
 * of the user's, not a link, that no one else may write; the file itself the
 * user's, writable by no one else, opened without following a link or waiting.
 */

/** Bumped when the layout of the file changes. */
const FORMAT = 'benchling-deploy code cache 1';
const MAGIC = Buffer.from('BDCODE1\n');
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
}

export interface CompileCacheStats {
  /** Files compiled from cached bytecode that V8 took. */
  hits: number;
  /** Files with no usable entry (new, changed, or a damaged entry). */
  misses: number;
  /** Entries V8 refused (other V8 flags): compiled as usual. */
  rejected: number;
}

interface Entry {
  readonly file: string;
  readonly stamp: string;
  readonly data: Buffer;
  readonly sum: string;
}

interface Fresh {
  readonly stamp: string;
  readonly script: Script;
}

export interface CompileCache {
  readonly stats: Readonly<CompileCacheStats>;
  /** Writes the cache file if this process compiled anything new. Never throws. */
  save(): void;
  /** Restores the loader (for tests); does not save. */
  uninstall(): void;
}

type Compile = (this: Module, content: string, filename: string, format?: string) => unknown;
type ModuleInternals = typeof Module & {
  _resolveFilename(request: string, parent: Module, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: Module): string[] | null;
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
  try {
    const s = statSync(filename, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

const defaultInclude = (filename: string) => filename.includes(`${sep}node_modules${sep}`);

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
  const stored = readCacheFile(path);
  const used = new Map<string, Entry>();
  const fresh = new Map<string, Fresh>();
  const stats: CompileCacheStats = { hits: 0, misses: 0, rejected: 0 };
  const original = ModuleImpl.prototype._compile;

  function compiled(this: Module, content: string, filename: string, format?: string): unknown {
    // Files that import() need Node's own loader for it; ES modules are not ours either.
    if (format === 'module' || !include(filename) || content.includes('import(')) return original.call(this, content, filename, format);
    const stamp = stampOf(filename);
    if (stamp === undefined) return original.call(this, content, filename, format);
    const entry = stored.get(filename);
    const usable = entry !== undefined && entry.stamp === stamp && checksum(entry.data) === entry.sum;
    let script: Script;
    try {
      script = new Script(ModuleImpl.wrap(content), { filename, ...(usable ? { cachedData: entry.data } : {}) });
    } catch {
      // A syntax error (or an ES module's syntax): Node's loader reports it as it always does.
      return original.call(this, content, filename, format);
    }
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
  let saved = false;
  return {
    stats,
    save() {
      if (saved || fresh.size === 0) return;
      saved = true;
      try {
        const entries: Entry[] = [...used.values()];
        for (const [file, f] of fresh) {
          const data = f.script.createCachedData();
          entries.push({ file, stamp: f.stamp, data, sum: checksum(data) });
        }
        // Entries of earlier runs this one did not load, while there is room.
        let size = entries.reduce((n, e) => n + e.data.length + e.file.length + 128, 0);
        for (const [file, e] of stored) {
          if (used.has(file) || fresh.has(file)) continue;
          const more = e.data.length + file.length + 128;
          if (size + more > maxBytes) continue;
          entries.push(e);
          size += more;
        }
        if (size > maxBytes) return;
        writeCacheFile(path, entries);
      } catch {
        // No cache next time: nothing else depends on it.
      }
    },
    uninstall() {
      if (ModuleImpl.prototype._compile === compiled) ModuleImpl.prototype._compile = original;
      if (installed?.stats === stats) installed = undefined;
    },
  };
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
 * The entries of the cache file at `path`; none when it is missing, foreign or damaged, or when
 * it or its folder is not only the user's (see {@link readOwnFile}).
 */
export function readCacheFile(path: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const file = readOwnFile(path, COMPILE_CACHE_MAX_BYTES * 2);
  if (!file) return entries;
  const buf = file.data;
  const size = buf.length;
  try {
    if (size < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return entries;
    const headerLength = buf.readUInt32LE(MAGIC.length);
    const dataStart = MAGIC.length + 4 + headerLength;
    if (dataStart > size) return entries;
    const header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, dataStart)) as unknown;
    if (!isRecord(header) || header.identity !== identity() || !Array.isArray(header.entries)) return entries;
    const found = new Map<string, Entry>();
    for (const e of header.entries as unknown[]) {
      if (!Array.isArray(e) || e.length !== 5) return entries;
      const [file, stamp, offset, length, sum] = e as unknown[];
      if (typeof file !== 'string' || typeof stamp !== 'string' || typeof sum !== 'string') return entries;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || (offset as number) < 0 || (length as number) <= 0) return entries;
      const start = dataStart + (offset as number);
      const end = start + (length as number);
      if (end > size) return entries;
      found.set(file, { file, stamp, data: buf.subarray(start, end), sum });
    }
    return found;
  } catch {
    return entries;
  }
}

function writeCacheFile(path: string, entries: readonly Entry[]): void {
  let offset = 0;
  const rows = entries.map((e) => {
    const row = [e.file, e.stamp, offset, e.data.length, e.sum];
    offset += e.data.length;
    return row;
  });
  const header = Buffer.from(JSON.stringify({ identity: identity(), entries: rows }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  // Into a folder of the user's only, by a temporary file of its own and a rename; false (no cache next time) otherwise.
  writeOwnFile(path, () => Buffer.concat([MAGIC, length, header, ...entries.map((e) => e.data)]));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
