/**
 * Ink's layout engine as the front loads it (dist/yoga.cjs given dist/yoga.wasm, bin/yoga.ts): the
 * engine `import Yoga from 'yoga-layout'` gives, what it says before an abort still said, and a binary
 * that is not the build's refused as WebAssembly's error, not failed in the module's code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Yoga from 'yoga-layout';
import { ROOT } from '../helpers/cli.js';

// Run as the front runs it (written inside Node's CommonJS wrapper, dist/yoga.cjs is not a module to require).
const front = createRequire(import.meta.url)(join(ROOT, 'dist', 'front.cjs')) as { loadBundle<T>(name: string, options: { cache: boolean }): { exports: T } };
const { loadYoga } = front.loadBundle<{ loadYoga(wasm: Uint8Array<ArrayBuffer>): Promise<typeof Yoga> }>('yoga.cjs', { cache: false }).exports;
const binary = () => new Uint8Array(readFileSync(join(ROOT, 'dist', 'yoga.wasm')));

afterEach(() => vi.restoreAllMocks());

describe("the dashboard's layout engine (dist/yoga.cjs, dist/yoga.wasm)", () => {
  it("is yoga-layout's: the same names and constants, and a layout computed the same", async () => {
    const engine = await loadYoga(binary());
    expect(Object.keys(engine).sort()).toEqual(Object.keys(Yoga).sort());
    for (const [name, value] of Object.entries(Yoga)) if (typeof value === 'number') expect(engine[name as keyof typeof Yoga], name).toBe(value);
    const layout = (y: typeof Yoga) => {
      const root = y.Node.create();
      root.setWidth(100);
      root.setFlexDirection(y.FLEX_DIRECTION_ROW);
      const child = y.Node.create();
      child.setWidthPercent(50);
      child.setHeight(7);
      root.insertChild(child, 0);
      root.calculateLayout(undefined, undefined, y.DIRECTION_LTR);
      return [child.getComputedWidth(), child.getComputedHeight(), root.getComputedHeight()];
    };
    expect(layout(engine)).toEqual(layout(Yoga));
    expect(layout(engine)).toEqual([50, 7, 7]);
  });

  it('says, once loaded, what yoga says before it aborts', async () => {
    const engine = await loadYoga(binary());
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const [a, b, child] = [engine.Node.create(), engine.Node.create(), engine.Node.create()];
    a.insertChild(child, 0);
    expect(() => b.insertChild(child, 0)).toThrow(/Aborted/);
    expect(warn).toHaveBeenCalledWith('Child already has a owner, it must be removed first.');
  });

  it("refuses a binary that is not the build's with a LinkError, saying nothing on the console", async () => {
    const said = [vi.spyOn(console, 'warn').mockImplementation(() => undefined), vi.spyOn(console, 'log').mockImplementation(() => undefined), vi.spyOn(console, 'error').mockImplementation(() => undefined)];
    // An empty module: WebAssembly takes it, and it exports nothing the engine reads.
    await expect(loadYoga(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).rejects.toThrow(WebAssembly.LinkError);
    await expect(loadYoga(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1]))).rejects.toThrow(WebAssembly.CompileError);
    for (const spy of said) expect(spy).not.toHaveBeenCalled();
  });
});
