import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// @ts-expect-error a plain .mjs build script, without types
import { boundInkCache, INK_CACHE_LIMIT } from '../../scripts/ink-caches.mjs';

const inkBuild = join(dirname(createRequire(import.meta.url).resolve('ink')), '');

describe('the bundle bounds Ink\'s text caches (vadimdemedes/ink#986)', () => {
  for (const file of ['measure-text.js', 'wrap-text.js']) {
    it(`rewrites ${file} of the installed Ink: no unbounded cache left`, () => {
      const out: string = boundInkCache(readFileSync(join(inkBuild, file), 'utf8'), join(inkBuild, file));
      expect(out).toContain(`__boundedCache(${INK_CACHE_LIMIT})`);
      expect(out).not.toMatch(/new Map\(\);\nconst measureText|cache\[cacheKey\]|const cache = \{\}/);
    });
  }

  it('fails the build when Ink no longer reads as expected', () => {
    expect(() => boundInkCache('const cache = new WeakMap();', '/x/ink/build/measure-text.js')).toThrow(/Ink changed/);
  });

  it('the bounded cache keeps at most its limit, dropping the oldest first', () => {
    const source: string = boundInkCache('const cache = new Map();\nexport { cache };', '/x/ink/build/measure-text.js');
    const make = new Function(`${source.replace('export { cache };', 'return cache;')}`) as () => { get(k: string): unknown; set(k: string, v: unknown): void; size: number };
    const cache = make();
    for (let i = 0; i < INK_CACHE_LIMIT + 500; i++) cache.set(`line ${i}`, i);
    expect(cache.size).toBe(INK_CACHE_LIMIT);
    expect(cache.get('line 0')).toBeUndefined();
    expect(cache.get(`line ${INK_CACHE_LIMIT + 499}`)).toBe(INK_CACHE_LIMIT + 499);
  });
});
