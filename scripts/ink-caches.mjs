// Ink 6 keeps every text it ever measured (measure-text.js) or wrapped (wrap-text.js) in a
// module-level cache that is never emptied (vadimdemedes/ink#986): a log screen following a
// busy service grows by every line it ever showed. The bundle gives both caches a bound,
// oldest entry out first; a line no longer on screen is simply measured again if it returns.
// Ink is pinned: if its source no longer reads as expected, the build fails here.
import { readFile } from 'node:fs/promises';

/** Entries kept per cache: several screens' worth of distinct lines. */
export const INK_CACHE_LIMIT = 2000;

/** A Map with a bound, oldest entry out first: `__boundedCache(max)`, with get, set and size. Also used by scripts/ink-output.mjs. */
export const HELPER = `const __boundedCache = (max) => { const m = new Map(); return { get: (k) => m.get(k), set: (k, v) => { if (m.size >= max) m.delete(m.keys().next().value); m.set(k, v); }, get size() { return m.size; } }; };\n`;

const EDITS = {
  'measure-text.js': [['const cache = new Map();', `const cache = __boundedCache(${INK_CACHE_LIMIT});`]],
  'wrap-text.js': [
    ['const cache = {};', `const cache = __boundedCache(${INK_CACHE_LIMIT});`],
    ['const cachedText = cache[cacheKey];', 'const cachedText = cache.get(cacheKey);'],
    ['cache[cacheKey] = wrappedText;', 'cache.set(cacheKey, wrappedText);'],
  ],
};

/** The source of one of Ink's two caching modules, with its cache bounded. */
export function boundInkCache(source, file) {
  const name = Object.keys(EDITS).find((n) => file.endsWith(n));
  if (!name) throw new Error(`bound-ink-caches: not one of Ink's caching modules: ${file}`);
  let out = source;
  for (const [from, to] of EDITS[name]) {
    if (out.split(from).length !== 2) throw new Error(`bound-ink-caches: ${file} no longer contains "${from}" exactly once; Ink changed, check vadimdemedes/ink#986 and this plugin`);
    out = out.replace(from, to);
  }
  return HELPER + out;
}

/** The esbuild plugin. */
export const boundInkCaches = {
  name: 'bound-ink-caches',
  setup(build) {
    build.onLoad({ filter: /[\\/]ink[\\/]build[\\/](measure-text|wrap-text)\.js$/ }, async (args) => ({
      contents: boundInkCache(await readFile(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};
