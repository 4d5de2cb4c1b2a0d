/**
 * The code cache for node_modules (src/infra/compile-cache.ts), on real
 * CommonJS files loaded by Node's own loader: the bytecode of a file is used
 * again only for that very file, and a damaged, foreign or missing cache
 * file, or an unwritable folder, only means compiling as usual.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileCacheDir, createCompileCache, readCacheFile, type CompileCache } from '../../src/infra/compile-cache.js';
import { bundleScript } from '../helpers/bundle.js';
import { keptAnswerCount, readCacheLayout, rewriteCacheHeader, writeCacheLayout, type CacheTable } from '../helpers/code-cache-file.js';
import { ROOT } from '../helpers/cli.js';
import { linkInPlace, tempDir } from '../helpers/fixtures.js';

const open: CompileCache[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.uninstall();
});

/** A package under node_modules in a fresh folder, and a cache folder beside it. */
function project(files: Record<string, string>) {
  const root = tempDir('bd-compile-');
  const pkg = join(root, 'node_modules', 'pkg');
  mkdirSync(pkg, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(pkg, name), text);
  return { root, pkg, cacheDir: join(root, 'cache'), cacheFile: join(root, 'cache', 'code-cache.bin') };
}

/** A cache for the files of `root` only (the test runner's own modules are left alone), and a clean require. */
function load(p: { root: string; pkg: string; cacheDir: string }, file: string, options: { maxBytes?: number; dir?: string; holdOpen?: boolean } = {}) {
  const cache = createCompileCache({ dir: options.dir ?? p.cacheDir, include: (f) => f.startsWith(p.root), ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}), ...(options.holdOpen === undefined ? {} : { holdOpen: options.holdOpen }) });
  open.push(cache);
  const req = createRequire(join(p.pkg, 'index.js'));
  for (const k of Object.keys(req.cache)) if (k.startsWith(p.root)) delete req.cache[k];
  const value = req(join(p.pkg, file)) as unknown;
  cache.uninstall();
  return { cache, value };
}

const MODULES = {
  'a.js': "const b = require('./b'); module.exports = { sum: b.twice(20) + 2, self: this === exports, dir: __dirname, file: __filename, resolved: require.resolve('./b') };",
  'b.js': 'exports.twice = function twice(n) { return n * 2; };',
};

describe('compile cache', () => {
  it('compiles once, then serves the bytecode it kept: V8 takes every entry and the modules behave the same', () => {
    const p = project(MODULES);
    const first = load(p, 'a.js');
    expect(first.cache.stats).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    first.cache.save();
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual([join(p.pkg, 'a.js'), join(p.pkg, 'b.js')]);

    const second = load(p, 'a.js');
    expect(second.cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
    expect(second.value).toEqual({ sum: 42, self: true, dir: p.pkg, file: join(p.pkg, 'a.js'), resolved: join(p.pkg, 'b.js') });
    expect(second.value).toEqual(first.value);
  });

  it('does not rewrite the cache file when every file came from it', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    const before = statSync(p.cacheFile, { bigint: true });
    load(p, 'a.js').cache.save();
    const after = statSync(p.cacheFile, { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
  });

  it('never serves the bytecode of a changed file, even of the same size and modification time (V8 checks only the length)', () => {
    const p = project({ 'v.js': 'module.exports = 1;' });
    const file = join(p.pkg, 'v.js');
    const { mtime } = statSync(file);
    load(p, 'v.js').cache.save();
    // As npm installs: another version of the file, same length, the same fixed modification time.
    writeFileSync(file, 'module.exports = 2;');
    utimesSync(file, mtime, mtime);
    const again = load(p, 'v.js');
    expect(again.value).toBe(2);
    expect(again.cache.stats).toEqual({ hits: 0, misses: 1, rejected: 0, resolved: 0 });
  });

  it('ignores a cache file of garbage, a truncated one, one with damaged bytecode and one of another Node, and writes a good one', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    const good = readFileSync(p.cacheFile);
    const damaged = Buffer.from(good);
    // A byte in the middle of b.js's bytecode: V8 release builds would run it as it is.
    const b = readCacheFile(p.cacheFile).get(join(p.pkg, 'b.js'))!;
    damaged[good.indexOf(b.data) + Math.floor(b.data.length / 2)] ^= 0xff;
    const foreign = Buffer.from(good.toString('latin1').replace(/node v\d+\.\d+\.\d+/, 'node v0.0.1'), 'latin1');
    const cases: Record<string, () => void> = {
      garbage: () => writeFileSync(p.cacheFile, Buffer.from('not a cache at all, just text\n'.repeat(100))),
      truncated: () => {
        writeFileSync(p.cacheFile, good);
        truncateSync(p.cacheFile, good.length - 10);
      },
      'header only': () => {
        writeFileSync(p.cacheFile, good);
        truncateSync(p.cacheFile, 14);
      },
      empty: () => writeFileSync(p.cacheFile, ''),
      foreign: () => writeFileSync(p.cacheFile, foreign),
    };
    for (const [name, spoil] of Object.entries(cases)) {
      spoil();
      const r = load(p, 'a.js');
      expect(r.value, name).toMatchObject({ sum: 42 });
      expect(r.cache.stats, name).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
      r.cache.save();
      expect(readCacheFile(p.cacheFile).size, name).toBe(2);
    }
    writeFileSync(p.cacheFile, damaged);
    const r = load(p, 'a.js');
    expect(r.value).toMatchObject({ sum: 42 });
    expect(r.cache.stats).toEqual({ hits: 1, misses: 1, rejected: 0, resolved: 0 });
  });

  it('compiles as usual from a file whose header names an installation twice, a table past the tables or out of shape, or bytecode before the tables end', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    const good = readFileSync(p.cacheFile);
    type Header = { tables: number; groups: [string, number, number][] };
    const cases: Record<string, (h: Header) => Header> = {
      'an installation twice': (h) => ({ ...h, groups: [...h.groups, h.groups[0]!] }),
      'a table past the tables': (h) => ({ ...h, groups: h.groups.map(([root, offset, length]) => [root, offset + 1, length]) }),
      'a row out of shape': (h) => ({ ...h, groups: h.groups.map(([root, offset, length]) => [root, offset, length, 0] as unknown as [string, number, number]) }),
      'tables longer than the file': (h) => ({ ...h, tables: good.length }),
    };
    for (const [name, edit] of Object.entries(cases)) {
      writeFileSync(p.cacheFile, good, { mode: 0o600 });
      rewriteCacheHeader(p.cacheFile, (h) => edit(h as unknown as Header) as unknown as Record<string, unknown>);
      const r = load(p, 'a.js');
      expect(r.value, name).toMatchObject({ sum: 42 });
      expect(r.cache.stats, name).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    }
    // The same header written back as it was: served.
    writeFileSync(p.cacheFile, good, { mode: 0o600 });
    rewriteCacheHeader(p.cacheFile, (h) => h);
    expect(load(p, 'a.js').cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
  });

  it('is bytecode V8 runs, so it is read and written only as its own: not a file or folder others may write, not through a link', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    const inode = () => statSync(p.cacheFile, { bigint: true }).ino;
    const written = inode();
    // A file group or others may write: not read. Its own again: read.
    for (const mode of [0o620, 0o602]) {
      chmodSync(p.cacheFile, mode);
      expect(load(p, 'a.js').cache.stats, mode.toString(8)).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    }
    chmodSync(p.cacheFile, 0o600);
    expect(load(p, 'a.js').cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
    expect(inode()).toBe(written);
  });

  it('a folder of the user\'s that others may write (as versions before this rule made it under a umask of 002) is made the user\'s alone, and its file dropped unread', () => {
    for (const mode of [0o775, 0o777]) {
      const p = project(MODULES);
      load(p, 'a.js').cache.save();
      expect(load(p, 'a.js').cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
      chmodSync(p.cacheDir, mode);
      const reclaimed = load(p, 'a.js');
      expect(reclaimed.cache.stats, mode.toString(8)).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
      expect(statSync(p.cacheDir).mode & 0o777, mode.toString(8)).toBe(mode & ~0o022);
      expect(existsSync(p.cacheFile), mode.toString(8)).toBe(false);
      // The cache serves again from the next run.
      reclaimed.cache.save();
      expect(load(p, 'a.js').cache.stats, mode.toString(8)).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
    }
  });

  it('does not follow a link at the cache file or its folder, and writes nothing through one', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    // The file moved elsewhere (the user's own, whole) and a link left in its place: not read; the write replaces the link, not its target.
    const file = linkInPlace(p.cacheFile);
    const before = readFileSync(file);
    const linked = load(p, 'a.js');
    expect(linked.cache.stats).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    linked.cache.save();
    expect(lstatSync(p.cacheFile).isFile()).toBe(true);
    expect(readFileSync(file)).toEqual(before);
    // The folder moved elsewhere and a link left in its place: nothing read from it or written into it.
    // It is group-writable there too: not made the user's alone through the link either.
    const folder = linkInPlace(p.cacheDir);
    chmodSync(folder, 0o775);
    const kept = statSync(join(folder, 'code-cache.bin'), { bigint: true });
    const throughFolder = load(p, 'a.js');
    expect(throughFolder.cache.stats).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    throughFolder.cache.save();
    expect(readdirSync(folder)).toEqual(['code-cache.bin']);
    expect(statSync(join(folder, 'code-cache.bin'), { bigint: true }).ino).toBe(kept.ino);
    expect(statSync(folder).mode & 0o777).toBe(0o775);
  });

  it('a FIFO where the cache file goes is not waited on: no entries, at once (in a process of its own, which would hang)', async () => {
    const p = project(MODULES);
    mkdirSync(p.cacheDir, { recursive: true });
    execFileSync('mkfifo', [p.cacheFile]);
    const script = join(tempDir('bd-compile-fifo-'), 'read.ts');
    writeFileSync(script, `import { readCacheFile } from ${JSON.stringify(join(ROOT, 'src', 'infra', 'compile-cache.ts'))};\nconsole.log(readCacheFile(${JSON.stringify(p.cacheFile)}).size);\n`);
    const r = spawnSync(process.execPath, [await bundleScript(script)], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'the read did not end within 10 s').toBeUndefined();
    expect(r.stdout.trim()).toBe('0');
    rmSync(p.cacheFile);
  });

  it('lives in $XDG_CACHE_HOME/benchling-deploy/compile when that is absolute (the XDG rule), else ~/.cache', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/c' }, '/h')).toBe('/c/benchling-deploy/compile');
    expect(compileCacheDir({ XDG_CACHE_HOME: 'relative/cache' }, '/h')).toBe('/h/.cache/benchling-deploy/compile');
    expect(compileCacheDir({}, '/h')).toBe('/h/.cache/benchling-deploy/compile');
  });

  it('works without a cache when the folder cannot be made or written, and leaves no temporary file', () => {
    const p = project(MODULES);
    const blocker = join(p.root, 'a-file');
    writeFileSync(blocker, 'x');
    const r = load(p, 'a.js', { dir: join(blocker, 'cache') });
    expect(r.value).toMatchObject({ sum: 42 });
    expect(() => r.cache.save()).not.toThrow();
    expect(existsSync(join(blocker, 'cache'))).toBe(false);
  });

  it('keeps the file under its size bound: earlier entries go first, and nothing is written when this run alone is over it', () => {
    const p = project({ ...MODULES, 'c.js': `module.exports = [${Array.from({ length: 300 }, (_, i) => `function f${i}() { return ${i}; }`).join(',')}].length;` });
    load(p, 'c.js').cache.save();
    const cSize = statSync(p.cacheFile).size;
    load(p, 'a.js', { maxBytes: cSize }).cache.save();
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual([join(p.pkg, 'a.js'), join(p.pkg, 'b.js')]);
    const before = statSync(p.cacheFile, { bigint: true }).mtimeNs;
    const tiny = project(MODULES);
    load(tiny, 'a.js', { maxBytes: 10 }).cache.save();
    expect(existsSync(tiny.cacheFile)).toBe(false);
    expect(statSync(p.cacheFile, { bigint: true }).mtimeNs).toBe(before);
  });

  it('drops on saving the entries whose file is gone or changed, and keeps those of files still as they were', () => {
    const p = project({ ...MODULES, 'c.js': 'module.exports = 3;', 'd.js': 'module.exports = 4;' });
    load(p, 'c.js').cache.save();
    load(p, 'a.js').cache.save();
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual(['a.js', 'b.js', 'c.js'].map((f) => join(p.pkg, f)));
    // c.js removed (an installation deleted), b.js another version: neither entry can ever be used again.
    rmSync(join(p.pkg, 'c.js'));
    writeFileSync(join(p.pkg, 'b.js'), 'exports.twice = function twice(n) { return n + n + 0; };');
    load(p, 'd.js').cache.save();
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual(['a.js', 'd.js'].map((f) => join(p.pkg, f)));
  });

  it('keeps on saving an entry stamped on another device: a shared cache folder seen from another machine or container is not this run\'s to judge', () => {
    const p = project({ ...MODULES, 'c.js': 'module.exports = 3;' });
    load(p, 'a.js').cache.save();
    // b.js's entry as another machine's process, whose mount of the same files has another device number, stamped it.
    const layout = readCacheLayout(p.cacheFile);
    const b = (layout.tables.get(p.root) as CacheTable).entries.find(([f]) => f === join(p.pkg, 'b.js'))!;
    b[1] = b[1].replace(/^\d+:/, '999999:');
    writeCacheLayout(p.cacheFile, layout);
    load(p, 'c.js').cache.save();
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual(['a.js', 'b.js', 'c.js'].map((f) => join(p.pkg, f)));
  });

  it('keeps each installation\'s entries in a table of its own: a run of one is served whatever the other\'s table holds, and its save keeps the other\'s', () => {
    const one = project(MODULES);
    const two = project({ ...MODULES, 'c.js': 'module.exports = 3;' });
    const atOne = { dir: one.cacheDir };
    load(one, 'a.js').cache.save();
    load(two, 'a.js', atOne).cache.save();
    const both = readCacheLayout(one.cacheFile);
    expect([...both.tables.keys()].sort()).toEqual([one.root, two.root].sort());
    const ofTwo = (both.tables.get(two.root) as CacheTable).entries.map(([f]) => f);
    expect(ofTwo.sort()).toEqual(['a.js', 'b.js'].map((f) => join(two.pkg, f)));
    // Two's table spoiled: one is served as before; two compiles again, and its save makes its table anew.
    writeCacheLayout(one.cacheFile, { ...both, tables: new Map([...both.tables].map(([root, t]) => [root, root === two.root ? Buffer.from('{"entries": [not json') : t])) });
    expect(load(one, 'a.js', atOne).cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
    const again = load(two, 'a.js', atOne);
    expect(again.cache.stats).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    again.cache.save();
    expect(load(two, 'a.js', atOne).cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
    // A run of one that writes the file (c.js is new to it) keeps two's entries, which it read only to save them.
    writeFileSync(join(one.pkg, 'c.js'), 'module.exports = 3;');
    load(one, 'c.js', atOne).cache.save();
    expect([...readCacheFile(one.cacheFile).keys()].sort()).toEqual([...['a.js', 'b.js', 'c.js'].map((f) => join(one.pkg, f)), ...['a.js', 'b.js'].map((f) => join(two.pkg, f))].sort());
    // A table that names a file of another installation is not that installation's: none of it is used.
    const moved = readCacheLayout(one.cacheFile);
    const twoTable = moved.tables.get(two.root) as CacheTable;
    twoTable.entries.push((moved.tables.get(one.root) as CacheTable).entries[0]!);
    writeCacheLayout(one.cacheFile, moved);
    expect(load(two, 'a.js', atOne).cache.stats).toEqual({ hits: 0, misses: 2, rejected: 0, resolved: 0 });
    expect(load(one, 'a.js', atOne).cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
  });

  it('hands the loader back to Node when it saves: files loaded after compile as usual, and nothing of them is kept', () => {
    const p = project({ ...MODULES, 'c.js': 'module.exports = 3;' });
    const loader = Module as unknown as { prototype: { _compile: unknown } };
    const compile = loader.prototype._compile;
    const cache = createCompileCache({ dir: p.cacheDir, include: (f) => f.startsWith(p.root) });
    open.push(cache);
    const req = createRequire(join(p.pkg, 'index.js'));
    expect(req(join(p.pkg, 'a.js'))).toMatchObject({ sum: 42 });
    expect(loader.prototype._compile).not.toBe(compile);
    cache.save();
    expect(loader.prototype._compile).toBe(compile);
    expect(req(join(p.pkg, 'c.js'))).toBe(3);
    expect(cache.stats).toMatchObject({ misses: 2 });
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual(['a.js', 'b.js'].map((f) => join(p.pkg, f)));
  });

  it('serves the entries of the file whose header it read, though another is renamed over it meanwhile (as a save of another process does)', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    const cache = createCompileCache({ dir: p.cacheDir, include: (f) => f.startsWith(p.root) });
    open.push(cache);
    const other = `${p.cacheFile}.other`;
    writeFileSync(other, Buffer.alloc(statSync(p.cacheFile).size, 0x5a), { mode: 0o600 });
    renameSync(other, p.cacheFile);
    const req = createRequire(join(p.pkg, 'index.js'));
    for (const k of Object.keys(req.cache)) if (k.startsWith(p.root)) delete req.cache[k];
    expect(req(join(p.pkg, 'a.js'))).toMatchObject({ sum: 42 });
    expect(cache.stats).toEqual({ hits: 2, misses: 0, rejected: 0, resolved: 0 });
  });

  it('holds the cache file open from its start until it saves, then closes it; not held open (as on Windows, where it could not be replaced meanwhile), it is read whole and serves the same', () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    const real = realpathSync(p.cacheFile);
    const held = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(join('/proc/self/fd', fd)) === real;
      } catch {
        return false;
      }
    }).length;
    const r = load(p, 'a.js');
    expect(r.cache.stats).toMatchObject({ hits: 2 });
    expect(held()).toBe(1);
    r.cache.save();
    expect(held()).toBe(0);
    // Not held open: nothing open after the start, the same hits, and its save replaces the file.
    writeFileSync(join(p.pkg, 'c.js'), 'module.exports = require("./a").sum;');
    const whole = load(p, 'c.js', { holdOpen: false });
    expect(whole.value).toBe(42);
    expect(whole.cache.stats).toMatchObject({ hits: 2, misses: 1 });
    expect(held()).toBe(0);
    whole.cache.save();
    expect([...readCacheFile(p.cacheFile).keys()].sort()).toEqual(['a.js', 'b.js', 'c.js'].map((f) => join(p.pkg, f)));
  });

  it('reads only its own installation\'s table and the bytecode of the files it loads, however much else the file keeps (12 other installations: 48 MB of bytecode, 3 MB of tables)', async () => {
    const p = project(MODULES);
    load(p, 'a.js').cache.save();
    // As the file grows when several installations of the tool share it: each another folder's, with a table of 3,000 entries.
    const layout = readCacheLayout(p.cacheFile);
    const blob = Buffer.alloc(4 * 1024 * 1024, 0xa5);
    for (let i = 0; i < 12; i++) {
      const elsewhere = join(p.root, `other-${i}`, 'node_modules', 'pkg');
      const at = layout.data.length + i * blob.length;
      const entries: CacheTable['entries'] = [[join(elsewhere, 'big.js'), '0:0:0:0:0', at, blob.length, '0']];
      for (let j = 0; j < 3000; j++) entries.push([join(elsewhere, 'lib', `file-${j}.js`), '0:0:0:0:0', at + j * 64, 64, '0']);
      layout.tables.set(join(p.root, `other-${i}`), { entries, paths: [], resolutions: [] });
    }
    layout.data = Buffer.concat([layout.data, ...Array.from({ length: 12 }, () => blob)]);
    writeCacheLayout(p.cacheFile, layout);
    expect(readCacheFile(p.cacheFile).size).toBe(2 + 12 * 3001);
    // In a process of its own, which reads nothing else meanwhile: the bytes it read, from the kernel's count (/proc/self/io).
    const script = join(tempDir('bd-compile-read-'), 'read.ts');
    writeFileSync(
      script,
      [
        `import { readFileSync } from 'node:fs';`,
        `import { createRequire } from 'node:module';`,
        `import { createCompileCache } from ${JSON.stringify(join(ROOT, 'src', 'infra', 'compile-cache.ts'))};`,
        `const read = () => Number(/rchar: (\\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);`,
        `const before = read();`,
        `const cache = createCompileCache({ dir: ${JSON.stringify(p.cacheDir)}, include: (f) => f.startsWith(${JSON.stringify(p.root)}) });`,
        `const value = createRequire(${JSON.stringify(join(p.root, 'entry.cjs'))})(${JSON.stringify(join(p.pkg, 'a.js'))});`,
        `console.log(JSON.stringify({ bytes: read() - before, sum: value.sum, stats: cache.stats }));`,
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [await bundleScript(script)], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { bytes: number; sum: number; stats: { hits: number } };
    expect(out).toMatchObject({ sum: 42, stats: { hits: 2 } });
    expect(statSync(p.cacheFile).size).toBeGreaterThan(51 * 1024 * 1024);
    // The header, its own table, the two entries and the two files' text (and /proc/self/io itself): a few kilobytes, not the 51 MB.
    expect(out.bytes).toBeLessThan(256 * 1024);
  });

  it('leaves files that import() and files with a syntax error to Node: the same errors, nothing cached', () => {
    const p = project({ 'dyn.js': "module.exports = () => import('node:path');", 'bad.js': 'module.exports = ;' });
    const r = load(p, 'dyn.js');
    expect(typeof r.value).toBe('function');
    expect(r.cache.stats).toEqual({ hits: 0, misses: 0, rejected: 0, resolved: 0 });
    expect(() => load(p, 'bad.js')).toThrow(SyntaxError);
  });

  it('leaves a file to Node once it holds an import(), though an entry of its earlier text is kept (a kept file is not searched again)', async () => {
    const p = project({ 'dyn.js': "module.exports = () => 'static';" });
    load(p, 'dyn.js').cache.save();
    expect([...readCacheFile(p.cacheFile).keys()]).toEqual([join(p.pkg, 'dyn.js')]);
    writeFileSync(join(p.pkg, 'dyn.js'), "module.exports = () => import('node:path');");
    const r = load(p, 'dyn.js');
    expect(r.cache.stats).toEqual({ hits: 0, misses: 0, rejected: 0, resolved: 0 });
    await expect((r.value as () => Promise<unknown>)()).resolves.toHaveProperty('join');
  });

  it('leaves to Node a text with an import() that a require hook made of a kept file: its stamp is the same, the text V8 is given is not', async () => {
    const p = project({ 'hooked.js': "module.exports = { value: 'static' };" });
    const file = join(p.pkg, 'hooked.js');
    load(p, 'hooked.js').cache.save();
    const require = createRequire(import.meta.url);
    const Module = require('node:module') as { _extensions: Record<string, (m: { _compile(text: string, f: string): unknown }, f: string) => void> };
    const js = Module._extensions['.js'];
    Module._extensions['.js'] = (m, f) => {
      if (f !== file) return js(m, f);
      m._compile(`${readFileSync(f, 'utf8')}\nmodule.exports.dyn = () => import('node:path');`, f);
    };
    try {
      const r = load(p, 'hooked.js');
      expect(r.cache.stats).toMatchObject({ hits: 0, misses: 0 });
      await expect((r.value as { dyn: () => Promise<unknown> }).dyn()).resolves.toHaveProperty('join');
    } finally {
      Module._extensions['.js'] = js;
    }
  });
});

/**
 * Where relative requires led, kept in the same file. Each load runs in a process of its own: Node
 * keeps its own lookups for the life of a process, so only a new one shows what the kept answers do.
 */
describe('compile cache: kept resolutions', () => {
  let runner: string;
  beforeAll(async () => {
    const dir = tempDir('bd-compile-resolve-');
    const entry = join(dir, 'run.ts');
    writeFileSync(
      entry,
      [
        `import { createRequire } from 'node:module';`,
        `import { createCompileCache } from ${JSON.stringify(join(ROOT, 'src', 'infra', 'compile-cache.ts'))};`,
        `const [root, cacheDir, file, recent, foo, max] = process.argv.slice(2);`,
        // Another loader's extension, registered before the cache is installed or after the load.
        `const register = () => { createRequire(file).extensions['.foo'] = (m, f) => { m.exports = { name: 'foo' }; }; };`,
        `if (foo === 'before') register();`,
        `const cache = createCompileCache({ dir: cacheDir, include: (f) => f.startsWith(root), recentMs: Number(recent), ...(max ? { maxBytes: Number(max) } : {}) });`,
        `if (foo === 'between') register();`,
        // Loaded from a file outside the packages, as the tool's bundles load them.
        `const value = createRequire(root + '/entry.cjs')(file);`,
        `if (foo === 'after') register();`,
        `cache.save();`,
        `console.log(JSON.stringify({ value, stats: cache.stats }));`,
      ].join('\n'),
    );
    runner = await bundleScript(entry);
  });

  /** Loads `file` of the project in a new process; `recentMs` 0 keeps answers about the folders this test just made. */
  function run(p: { root: string; pkg: string; cacheDir: string }, file: string, options: { recentMs?: number; nodeArgs?: string[]; nodeOptions?: string; foo?: 'before' | 'between' | 'after'; maxBytes?: number } = {}) {
    const env = options.nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: options.nodeOptions };
    const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), runner, p.root, p.cacheDir, join(p.pkg, file), String(options.recentMs ?? 0), options.foo ?? '', String(options.maxBytes ?? '')], { encoding: 'utf8', timeout: 20_000, env });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { value: Record<string, unknown>; stats: { hits: number; misses: number; rejected: number; resolved: number } };
  }


  const TREE = {
    'main.js': "module.exports = { b: require('./b').name, sub: require('./sub').name, up: require('./lib/up').name, named: require('./named').name };",
    'b.js': "exports.name = 'b.js';",
    'sub/index.js': "exports.name = 'sub/index.js';",
    'lib/up.js': "exports.name = require('../b').name + ' via lib/up.js';",
    'named/package.json': JSON.stringify({ main: 'one.js' }),
    'named/one.js': "exports.name = 'named/one.js';",
    'named/two.js': "exports.name = 'named/two.js';",
  };
  const FIRST = { b: 'b.js', sub: 'sub/index.js', up: 'b.js via lib/up.js', named: 'named/one.js' };

  function tree(files: Record<string, string> = TREE) {
    const p = project({});
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(p.pkg, name, '..'), { recursive: true });
      writeFileSync(join(p.pkg, name), text);
    }
    return p;
  }

  it('a second process answers every relative require from the file, and loads the same modules', () => {
    const p = tree();
    const first = run(p, 'main.js');
    expect(first.value).toEqual(FIRST);
    expect(first.stats.resolved).toBe(0);
    expect(keptAnswerCount(p.cacheFile)).toBe(5);
    const second = run(p, 'main.js');
    expect(second.value).toEqual(FIRST);
    expect(second.stats).toEqual({ hits: 5, misses: 0, rejected: 0, resolved: 5 });
  });

  it('keeps up to its bound of answers for each installation: another\'s 2,000 do not crowd out this one\'s, nor this one\'s theirs', () => {
    const p = tree();
    run(p, 'main.js');
    const layout = readCacheLayout(p.cacheFile);
    const other = join(p.root, 'other');
    const from = join(other, 'node_modules', 'pkg');
    layout.tables.set(other, { entries: [], paths: [[from, '1:2:3:4:5']], resolutions: Array.from({ length: 2000 }, (_, i) => [from, `./m${i}`, join(from, `m${i}.js`), [0]]) });
    writeCacheLayout(p.cacheFile, layout);
    // main.js rewritten in place (no folder changes): this run compiles it again, and so writes the file.
    writeFileSync(join(p.pkg, 'main.js'), `${TREE['main.js']}\n// again`);
    expect(run(p, 'main.js')).toMatchObject({ value: FIRST, stats: { misses: 1, resolved: 5 } });
    const after = readCacheLayout(p.cacheFile);
    expect((after.tables.get(p.root) as CacheTable).resolutions).toHaveLength(5);
    expect((after.tables.get(other) as CacheTable).resolutions).toHaveLength(2000);
  });

  it('a file its bound full of earlier runs\' entries still takes a run\'s new bytecode and answers: the earlier entries give way', () => {
    const p = tree();
    run(p, 'main.js');
    const alone = statSync(p.cacheFile).size;
    // Another installation's 60 modules of many sizes, in the same file.
    const other = tree({
      'main.js': `module.exports = [${Array.from({ length: 60 }, (_, i) => `require('./m${i}')`).join(', ')}].length;`,
      ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`m${i}.js`, `module.exports = [${Array.from({ length: 1 + i * 3 }, (_, j) => `function f${j}() { return ${j}; }`).join(', ')}].length;`])),
    });
    expect(run({ ...other, cacheDir: p.cacheDir }, 'main.js').value).toBe(60);
    const both = statSync(p.cacheFile).size;
    // main.js rewritten in place: the next run compiles it again and must write it, though the file is kept to about half of the other's entries beside this one's.
    writeFileSync(join(p.pkg, 'main.js'), `${TREE['main.js']}\n// again`);
    const bound = alone + Math.floor((both - alone) / 2);
    expect(run(p, 'main.js', { maxBytes: bound })).toMatchObject({ value: FIRST, stats: { misses: 1, resolved: 5 } });
    expect(run(p, 'main.js', { maxBytes: bound })).toMatchObject({ value: FIRST, stats: { hits: 5, misses: 0, resolved: 5 } });
    expect(statSync(p.cacheFile).size).toBeLessThan(both);
  });

  it('keeps the answers asked from folders outside any node_modules in a table of their own, and serves them', () => {
    const p = tree();
    mkdirSync(join(p.root, 'src'));
    writeFileSync(join(p.root, 'src', 'main.js'), "module.exports = [require('./b').name, require('pkg/b').name];");
    writeFileSync(join(p.root, 'src', 'b.js'), "exports.name = 'src/b.js';");
    // The folder above src is looked at too (for a package.json): the cache folder made in it now, not by the first save.
    mkdirSync(p.cacheDir, { mode: 0o700 });
    // Where Node's look for the package.json above ends, as in a project: else it goes on up to the temporary folder,
    // which other processes change between the two runs, and the second rightly takes none of the first's answers.
    writeFileSync(join(p.root, 'package.json'), '{}');
    const first = run(p, '../../src/main.js');
    expect(first.value).toEqual(['src/b.js', 'b.js']);
    expect((readCacheLayout(p.cacheFile).tables.get('') as CacheTable).resolutions.map(([, request]) => request).sort()).toEqual(['./b', 'pkg/b']);
    expect(run(p, '../../src/main.js')).toMatchObject({ value: ['src/b.js', 'b.js'], stats: { hits: 3, misses: 0, resolved: 2 } });
  });

  it('a package.json edited in place, a file added where Node looks first, a removed one: Node is asked again, and its new answer kept', () => {
    const p = tree();
    run(p, 'main.js');
    // The same file rewritten, the same length: no folder's entries change, only the file's own stamp.
    writeFileSync(join(p.pkg, 'named', 'package.json'), JSON.stringify({ main: 'two.js' }));
    const edited = run(p, 'main.js');
    expect(edited.value).toEqual({ ...FIRST, named: 'named/two.js' });
    expect(edited.stats.resolved).toBe(4);
    // Node takes an exact name before name.js: a new file `b` beside `b.js` is what ./b now means.
    writeFileSync(join(p.pkg, 'b'), "exports.name = 'b';");
    // sub/index.js gone, sub.js in its place.
    unlinkSync(join(p.pkg, 'sub', 'index.js'));
    writeFileSync(join(p.pkg, 'sub.js'), "exports.name = 'sub.js';");
    const changed = { b: 'b', sub: 'sub.js', up: 'b via lib/up.js', named: 'named/two.js' };
    const after = run(p, 'main.js');
    expect(after.value).toEqual(changed);
    expect(after.stats.resolved).toBe(0);
    const again = run(p, 'main.js');
    expect(again.value).toEqual(changed);
    expect(again.stats.resolved).toBe(5);
  });

  it('a package by name: kept with each node_modules walked, so a dep.js beside its folder, a nearer copy or its package.json edited are found', () => {
    const p = project({});
    const modules = join(p.root, 'node_modules');
    const files: Record<string, string> = {
      'dep/package.json': JSON.stringify({ name: 'dep', main: 'lib/main.js' }),
      'dep/lib/main.js': "exports.name = 'dep main';",
      'dep/lib/oth.js': "exports.name = 'dep oth';",
      '@s/dep/package.json': JSON.stringify({ name: '@s/dep', exports: { './sub': './lib/sub.js' } }),
      '@s/dep/lib/sub.js': "exports.name = 'scoped sub';",
      'pkg/package.json': JSON.stringify({ name: 'pkg' }),
      'pkg/main.js': "module.exports = { dep: require('dep').name, sub: require('@s/dep/sub').name, deep: require('./lib/deep').name };",
      'pkg/lib/deep.js': "exports.name = 'deep, ' + require('dep').name;",
      'pkg/self.js': "exports.name = 'self';",
      // The package's own node_modules, without dep: a dep put there later changes only this folder.
      'pkg/node_modules/unrelated/index.js': '',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(modules, name, '..'), { recursive: true });
      writeFileSync(join(modules, name), text);
    }
    const first = { dep: 'dep main', sub: 'scoped sub', deep: 'deep, dep main' };
    expect(run(p, 'main.js').value).toEqual(first);
    expect(keptAnswerCount(p.cacheFile)).toBe(4);
    expect(run(p, 'main.js')).toMatchObject({ value: first, stats: { resolved: 4 } });
    // Its package.json rewritten in place: only the file's own stamp changes.
    writeFileSync(join(modules, 'dep', 'package.json'), JSON.stringify({ name: 'dep', main: 'lib/oth.js' }));
    expect(run(p, 'main.js')).toMatchObject({ value: { dep: 'dep oth', sub: 'scoped sub', deep: 'deep, dep oth' }, stats: { resolved: 2 } });
    // Node tries node_modules/dep.js before the folder dep.
    writeFileSync(join(modules, 'dep.js'), "exports.name = 'dep.js';");
    expect(run(p, 'main.js').value).toEqual({ dep: 'dep.js', sub: 'scoped sub', deep: 'deep, dep.js' });
    // A file module is kept as a folder is.
    expect(run(p, 'main.js')).toMatchObject({ value: { dep: 'dep.js', sub: 'scoped sub', deep: 'deep, dep.js' }, stats: { resolved: 4 } });
    unlinkSync(join(modules, 'dep.js'));
    expect(run(p, 'main.js').value).toEqual({ dep: 'dep oth', sub: 'scoped sub', deep: 'deep, dep oth' });
    expect(run(p, 'main.js').stats.resolved).toBe(4);
    // A copy in the package's own node_modules (which held another package) comes first, for its deeper folders too.
    mkdirSync(join(p.pkg, 'node_modules', 'dep'));
    writeFileSync(join(p.pkg, 'node_modules', 'dep', 'index.js'), "exports.name = 'nearer';");
    expect(run(p, 'main.js').value).toEqual({ dep: 'nearer', sub: 'scoped sub', deep: 'deep, nearer' });
    expect(run(p, 'main.js')).toMatchObject({ value: { dep: 'nearer', sub: 'scoped sub', deep: 'deep, nearer' }, stats: { resolved: 4 } });
    // A node_modules made in a folder walked: lib's own copy, for lib alone.
    mkdirSync(join(p.pkg, 'lib', 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(p.pkg, 'lib', 'node_modules', 'dep', 'index.js'), "exports.name = 'nearest';");
    expect(run(p, 'main.js').value).toEqual({ dep: 'nearer', sub: 'scoped sub', deep: 'deep, nearest' });
    // The requiring package named dep, with exports: Node resolves its own name to itself first.
    writeFileSync(join(p.pkg, 'package.json'), JSON.stringify({ name: 'dep', exports: { '.': './self.js' } }));
    expect(run(p, 'main.js').value).toEqual({ dep: 'self', sub: 'scoped sub', deep: 'deep, self' });
  });

  /** Files under the project's root (node_modules/... paths), made with their folders. */
  function files(p: { root: string }, entries: Record<string, string>) {
    for (const [name, text] of Object.entries(entries)) {
      mkdirSync(join(p.root, name, '..'), { recursive: true });
      writeFileSync(join(p.root, name), text);
    }
  }

  it("what else decides an answer: a folder's package.json whose main leads out of it, a nearer scope folder, the requiring package's name", () => {
    // A proxy folder: ./sub and pkg/sub lead through sub/package.json to ../dist; edited in place, then removed.
    const p = project({});
    files(p, {
      'node_modules/pkg/main.js': "module.exports = [require('./sub').name, require('other/sub').name];",
      'node_modules/pkg/sub/package.json': JSON.stringify({ main: '../v1.js' }),
      'node_modules/pkg/sub/index.js': "exports.name = 'sub/index.js';",
      'node_modules/pkg/v1.js': "exports.name = 'v1';",
      'node_modules/pkg/v2.js': "exports.name = 'v2';",
      'node_modules/other/package.json': JSON.stringify({ name: 'other' }),
      'node_modules/other/sub/package.json': JSON.stringify({ main: '../dist/o1.js' }),
      'node_modules/other/dist/o1.js': "exports.name = 'o1';",
      'node_modules/other/dist/o2.js': "exports.name = 'o2';",
    });
    expect(run(p, 'main.js').value).toEqual(['v1', 'o1']);
    expect(run(p, 'main.js').stats.resolved).toBe(2);
    writeFileSync(join(p.pkg, 'sub', 'package.json'), JSON.stringify({ main: '../v2.js' }));
    writeFileSync(join(p.root, 'node_modules', 'other', 'sub', 'package.json'), JSON.stringify({ main: '../dist/o2.js' }));
    expect(run(p, 'main.js').value).toEqual(['v2', 'o2']);
    expect(run(p, 'main.js').stats.resolved).toBe(2);
    unlinkSync(join(p.pkg, 'sub', 'package.json'));
    expect(run(p, 'main.js').value).toEqual(['sub/index.js', 'o2']);

    // @s/x found at the top while a nearer node_modules/@s holds another package; then @s/x is put there.
    const q = project({});
    files(q, {
      'node_modules/pkg/main.js': "module.exports = require('@s/x').name;",
      'node_modules/pkg/node_modules/@s/other/index.js': '',
      'node_modules/@s/x/index.js': "exports.name = 'top';",
    });
    expect(run(q, 'main.js').value).toBe('top');
    expect(run(q, 'main.js').stats.resolved).toBe(1);
    files(q, { 'node_modules/pkg/node_modules/@s/x/index.js': "exports.name = 'nearer';" });
    expect(run(q, 'main.js').value).toBe('nearer');

    // A folder below the requiring package's package.json, holding its own node_modules: a package.json put
    // there, naming the package required, answers it first.
    const r = project({});
    files(r, {
      'node_modules/pkg/package.json': JSON.stringify({ name: 'pkg' }),
      'node_modules/pkg/lib/main.js': "module.exports = require('b').name;",
      'node_modules/pkg/lib/self.js': "exports.name = 'self';",
      'node_modules/pkg/lib/node_modules/b/index.js': "exports.name = 'nested b';",
    });
    expect(run(r, join('lib', 'main.js')).value).toBe('nested b');
    expect(run(r, join('lib', 'main.js')).stats.resolved).toBe(1);
    writeFileSync(join(r.pkg, 'lib', 'package.json'), JSON.stringify({ name: 'b', exports: './self.js' }));
    expect(run(r, join('lib', 'main.js')).value).toBe('self');
  });

  it('keeps no answer Node found through a link anywhere on its way, so re-pointing any link is followed', () => {
    const p = project({});
    files(p, { 'node_modules/pkg/main.js': "module.exports = require('./x').name;", 'node_modules/pkg/y.js': "exports.name = 'y';", 'node_modules/pkg/z.js': "exports.name = 'z';" });
    mkdirSync(join(p.pkg, 'links'));
    symlinkSync('../y.js', join(p.pkg, 'links', 'l.js'));
    symlinkSync('links/l.js', join(p.pkg, 'x.js'));
    expect(run(p, 'main.js').value).toBe('y');
    expect(keptAnswerCount(p.cacheFile)).toBe(0);
    unlinkSync(join(p.pkg, 'links', 'l.js'));
    symlinkSync('../z.js', join(p.pkg, 'links', 'l.js'));
    expect(run(p, 'main.js').value).toBe('z');
  });

  it("keeps nothing Node found past what its lookup is redone by: a main that leads nowhere, a link landing on another path it tries, a dangling link", () => {
    const cases: { name: string; files: Record<string, string>; links: [string, string][]; change: (pkg: string) => void; before: string; after: string }[] = [
      {
        name: 'a main leading nowhere (Node takes the index)',
        files: { 'main.js': "module.exports = require('./sub').name;", 'sub/package.json': JSON.stringify({ main: 'lib/main.js' }), 'sub/lib/other.js': '', 'sub/index.js': "exports.name = 'index';" },
        links: [],
        change: (pkg) => writeFileSync(join(pkg, 'sub', 'lib', 'main.js'), "exports.name = 'main';"),
        before: 'index',
        after: 'main',
      },
      {
        name: "a main that is a link to the folder's index",
        files: { 'main.js': "module.exports = require('./sub').name;", 'sub/package.json': JSON.stringify({ main: 'lib/main.js' }), 'sub/index.js': "exports.name = 'index';", 'sub/other.js': "exports.name = 'other';" },
        links: [['../index.js', 'sub/lib/main.js']],
        change: (pkg) => {
          unlinkSync(join(pkg, 'sub', 'lib', 'main.js'));
          symlinkSync('../other.js', join(pkg, 'sub', 'lib', 'main.js'));
        },
        before: 'index',
        after: 'other',
      },
      {
        name: 'a dangling link where Node looks first',
        files: { 'main.js': "module.exports = require('./x').name;", 'x.json': JSON.stringify({ name: 'json' }) },
        links: [['gone/x.js', 'x.js']],
        change: (pkg) => files({ root: pkg }, { 'gone/x.js': "exports.name = 'linked';" }),
        before: 'json',
        after: 'linked',
      },
      {
        name: "exports whose require target is a link to its default target",
        files: { 'main.js': "module.exports = require('dep').name;", 'node_modules/dep/package.json': JSON.stringify({ name: 'dep', exports: { '.': { require: './x/a.js', default: './y/a.js' } } }), 'node_modules/dep/y/a.js': "exports.name = 'y';", 'node_modules/dep/z/a.js': "exports.name = 'z';" },
        links: [['../y/a.js', 'node_modules/dep/x/a.js']],
        change: (pkg) => {
          unlinkSync(join(pkg, 'node_modules', 'dep', 'x', 'a.js'));
          symlinkSync('../z/a.js', join(pkg, 'node_modules', 'dep', 'x', 'a.js'));
        },
        before: 'y',
        after: 'z',
      },
    ];
    for (const c of cases) {
      const p = project({});
      files({ root: p.pkg }, c.files);
      for (const [target, at] of c.links) {
        mkdirSync(join(p.pkg, at, '..'), { recursive: true });
        symlinkSync(target, join(p.pkg, at));
      }
      expect(run(p, 'main.js').value, c.name).toBe(c.before);
      expect(keptAnswerCount(p.cacheFile), c.name).toBe(0);
      c.change(p.pkg);
      expect(run(p, 'main.js').value, c.name).toBe(c.after);
    }
  });

  it("answers kept before another loader's extension was registered are not used by a process that has it", () => {
    const p = tree({ 'main.js': "module.exports = require('./x');", 'x/index.js': "exports.name = 'x/index';", 'x.foo': '' });
    expect(run(p, 'main.js', { foo: 'after' }).value).toEqual({ name: 'x/index' });
    expect(keptAnswerCount(p.cacheFile)).toBe(1);
    const withFoo = run(p, 'main.js', { foo: 'before' });
    expect(withFoo.value).toEqual({ name: 'foo' });
    expect(withFoo.stats.resolved).toBe(0);
    // Registered once the cache is installed (the file's answers match how the process started): Node answers from then on.
    run(p, 'main.js', { foo: 'after' });
    const between = run(p, 'main.js', { foo: 'between' });
    expect(between.value).toEqual({ name: 'foo' });
    expect(between.stats.resolved).toBe(0);
  });

  it("reads the requiring package's own package.json as Node does before any lookup, and follows a module's own search paths and a preload", () => {
    // A .cjs file (loaded without a read of its package scope) requiring ./data.json: a package.json turned invalid throws in Node.
    const p = tree({ 'package.json': JSON.stringify({ name: 'pkg' }), 'lib/index.cjs': "module.exports = require('./data.json');", 'lib/data.json': '{"v":1}' });
    expect(run(p, join('lib', 'index.cjs')).value).toEqual({ v: 1 });
    expect(run(p, join('lib', 'index.cjs')).stats.resolved).toBe(1);
    writeFileSync(join(p.pkg, 'package.json'), '{ not json');
    const r = spawnSync(process.execPath, [runner, p.root, p.cacheDir, join(p.pkg, 'lib', 'index.cjs'), '0', ''], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/Error parsing .*package\.json/);

    // A module that puts a folder of its own first in its search paths: its package answers are left to Node.
    const q = tree({ 'main.js': "module.paths.unshift(require('path').join(__dirname, 'vendor')); module.exports = require('dep').name;", 'node_modules/dep/index.js': "exports.name = 'dep';" });
    expect(run(q, 'main.js').value).toBe('dep');
    expect(keptAnswerCount(q.cacheFile)).toBe(0);
    files({ root: q.pkg }, { 'vendor/dep/index.js': "exports.name = 'vendor';" });
    expect(run(q, 'main.js').value).toBe('vendor');

    // Code run before the cache (--require) may answer lookups its own way: nothing is kept or used.
    const h = tree();
    writeFileSync(join(h.root, 'hook.cjs'), '');
    run(h, 'main.js', { nodeArgs: ['--require', join(h.root, 'hook.cjs')] });
    expect(keptAnswerCount(h.cacheFile)).toBe(0);
    run(h, 'main.js');
    expect(run(h, 'main.js', { nodeArgs: ['--require', join(h.root, 'hook.cjs')] }).stats.resolved).toBe(0);
    // The forms Node also reads: quoted in NODE_OPTIONS, `_` for `-` in an option's name.
    const forms: { nodeOptions?: string; nodeArgs?: string[] }[] = [
      { nodeOptions: `"--require=${join(h.root, 'hook.cjs')}"` },
      { nodeOptions: `"-r" ${join(h.root, 'hook.cjs')}` },
      { nodeArgs: [`--experimental_loader=${pathToFileURL(join(h.root, 'hook.cjs')).href}`] },
    ];
    for (const form of forms) {
      rmSync(h.cacheFile, { force: true });
      run(h, 'main.js', form);
      expect(keptAnswerCount(h.cacheFile), JSON.stringify(form)).toBe(0);
      expect(run(h, 'main.js', form).stats.resolved, JSON.stringify(form)).toBe(0);
    }
  });

  it('an answer used, then dropped when what it named changed, still lets the run write its cache', () => {
    // With a marker beside node_modules, x.js becomes a link to y.js between two lookups a second apart: the answer kept is
    // used, then found stale, and the new one (through a link) is not kept.
    const p = tree({
      'main.js': [
        "const fs = require('fs'); const path = require('path');",
        "require.resolve('./x');",
        "if (fs.existsSync(path.join(__dirname, '..', '..', 'marker'))) { fs.unlinkSync(path.join(__dirname, 'x.js')); fs.symlinkSync('y.js', path.join(__dirname, 'x.js')); }",
        'const t = Date.now(); while (Date.now() - t < 1100);',
        "module.exports = require('./x').v;",
      ].join('\n'),
      'x.js': 'exports.v = 1;',
      'y.js': 'exports.v = 2;',
    });
    expect(run(p, 'main.js').value).toBe(1);
    expect(keptAnswerCount(p.cacheFile)).toBe(1);
    writeFileSync(join(p.root, 'marker'), '');
    const changed = run(p, 'main.js');
    expect(changed).toMatchObject({ value: 2, stats: { resolved: 1 } });
    // The run's new bytecode (y.js) was written.
    expect(readCacheFile(p.cacheFile).has(join(p.pkg, 'y.js'))).toBe(true);
  });

  it('a process that runs on looks at a stamp again once it is a second old, so a later change is seen', () => {
    // a/ and b/ each require dep (Node looks it up again for b). With a marker beside node_modules, dep.js appears beside the folder dep between them.
    const p = tree({
      'main.js': [
        "const fs = require('fs'); const path = require('path');",
        "const a = require('./a/x');",
        "if (fs.existsSync(path.join(__dirname, '..', '..', 'marker'))) fs.writeFileSync(path.join(__dirname, 'node_modules', 'dep.js'), \"exports.name = 'dep.js';\");",
        'const t = Date.now(); while (Date.now() - t < 1100);',
        "module.exports = [a, require('./b/x')];",
      ].join('\n'),
      'a/x.js': "module.exports = require('dep').name;",
      'b/x.js': "module.exports = require('dep').name;",
      'node_modules/dep/index.js': "exports.name = 'dep';",
    });
    expect(run(p, 'main.js').value).toEqual(['dep', 'dep']);
    writeFileSync(join(p.root, 'marker'), '');
    const changed = run(p, 'main.js');
    expect(changed.value).toEqual(['dep', 'dep.js']);
    expect(changed.stats.resolved).toBe(3);
  });

  it('keeps no answer about a folder changed within the last few seconds (a file system of whole seconds would not show the next change)', () => {
    const p = tree();
    run(p, 'main.js', { recentMs: 60_000 });
    expect(keptAnswerCount(p.cacheFile)).toBe(0);
    expect(run(p, 'main.js', { recentMs: 60_000 }).stats.resolved).toBe(0);
  });

  it('keeps no answer that left the folder through a link, so a link pointed elsewhere is followed', () => {
    const p = tree({ 'main.js': "module.exports = require('./linked/x').name;", 'one/x.js': "exports.name = 'one';", 'two/x.js': "exports.name = 'two';" });
    symlinkSync(join(p.pkg, 'one'), join(p.pkg, 'linked'));
    expect(run(p, 'main.js').value).toBe('one');
    expect(keptAnswerCount(p.cacheFile)).toBe(0);
    unlinkSync(join(p.pkg, 'linked'));
    symlinkSync(join(p.pkg, 'two'), join(p.pkg, 'linked'));
    const after = run(p, 'main.js');
    expect(after.value).toBe('two');
    expect(after.stats.resolved).toBe(0);
  });

  it('leaves every lookup to Node under --preserve-symlinks, where an answer is not the real path', () => {
    const p = tree();
    run(p, 'main.js');
    const preserved = run(p, 'main.js', { nodeArgs: ['--preserve-symlinks'] });
    expect(preserved.value).toEqual(FIRST);
    expect(preserved.stats.resolved).toBe(0);
  });

  it('ignores kept answers that are malformed, were made under another loader or ask from another installation\'s folder, and still serves the bytecode beside them', () => {
    const p = tree();
    run(p, 'main.js');
    const good = readCacheLayout(p.cacheFile);
    const own = good.tables.get(p.root) as CacheTable;
    const rows = own.resolutions;
    const withTable = (t: Partial<CacheTable>) => ({ ...good, tables: new Map([[p.root, { ...own, ...t }]]) });
    const cases: Record<string, typeof good> = {
      'another loader': { ...good, header: { ...good.header, loader: '.js,.json,.node,.ts' } },
      'a path index out of range': withTable({ resolutions: [[...rows[0]!.slice(0, 3), [99]] as (typeof rows)[0], ...rows.slice(1)] }),
      'an absolute request': withTable({ resolutions: [[rows[0]![0], '/abs/b.js', rows[0]![2], rows[0]![3]], ...rows.slice(1)] }),
      'a row of the wrong shape': withTable({ resolutions: [['x'] as unknown as (typeof rows)[0], ...rows.slice(1)] }),
      'no paths': withTable({ paths: 'x' as unknown as CacheTable['paths'] }),
      'an answer asked from another installation': withTable({ resolutions: [[join(p.root, 'other', 'node_modules', 'pkg'), ...rows[0]!.slice(1)] as (typeof rows)[0], ...rows.slice(1)] }),
      'more answers than an installation keeps': withTable({ resolutions: [...rows, ...Array.from({ length: 2001 - rows.length }, (_, i): (typeof rows)[0] => [rows[0]![0], `./more-${i}`, rows[0]![2], rows[0]![3]])] }),
    };
    for (const [name, layout] of Object.entries(cases)) {
      writeCacheLayout(p.cacheFile, layout);
      const r = run(p, 'main.js');
      expect(r.value, name).toEqual(FIRST);
      expect(r.stats, name).toEqual({ hits: 5, misses: 0, rejected: 0, resolved: 0 });
    }
    // The same file as written: every answer served.
    writeCacheLayout(p.cacheFile, good);
    expect(run(p, 'main.js').stats).toEqual({ hits: 5, misses: 0, rejected: 0, resolved: 5 });
  });
});
