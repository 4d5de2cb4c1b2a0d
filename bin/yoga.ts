// Ink's layout engine (yoga, WebAssembly) for the dashboard the front opens: dist/yoga.cjs, which the
// front loads with its code cache, given its binary, dist/yoga.wasm, which the build took out of
// yoga-layout's module (scripts/yoga-bundle.mjs). dist/dashboard.cjs reads the engine from globalThis
// (bin/front.ts loadDashboard).
import loadYogaModule from 'yoga-layout-binary';
import wrapAssembly from 'yoga-layout-wrap';

/**
 * The layout engine from its WebAssembly binary: what `import Yoga from 'yoga-layout'` gives. Rejects
 * with what stopped it (a damaged binary, as a WebAssembly.RuntimeError).
 */
export function loadYoga(wasmBinary: Uint8Array): Promise<unknown> {
  // print and printErr: Emscripten would also write a failure on the console; the front says it, once.
  return loadYogaModule({ wasmBinary, print: () => {}, printErr: () => {} }).then(wrapAssembly);
}
