// Ink's layout engine (yoga, WebAssembly) for the dashboard the front opens: dist/yoga.cjs, which the
// front loads with its code cache, given its binary, dist/yoga.wasm, which the build took out of
// yoga-layout's module (scripts/yoga-bundle.mjs). dist/dashboard.cjs reads the engine from globalThis
// (bin/front.ts loadDashboard).
import loadYogaModule from 'yoga-layout-binary';
import wrapAssembly from 'yoga-layout-wrap';
import BINARY_EXPORTS from 'yoga-layout-exports';

/**
 * The layout engine from its WebAssembly binary: what `import Yoga from 'yoga-layout'` gives. Rejects
 * with WebAssembly's error for a binary it cannot take, and with a WebAssembly.LinkError for one it
 * can that is not the build's (without an export the module reads); anything else is the code's.
 */
export function loadYoga(wasmBinary: Uint8Array<ArrayBuffer>): Promise<unknown> {
  // What the module writes (yoga's reason before an abort) goes to the console once it runs, as
  // yoga-layout's does; not while it loads, when its failure is the rejection, which the front says.
  let loaded = false;
  return new Promise((resolve, reject) => {
    loadYogaModule({
      print: (text) => loaded && console.log(text),
      printErr: (text) => loaded && console.warn(text),
      instantiateWasm(imports, receive) {
        WebAssembly.compile(wasmBinary)
          .then((module) => WebAssembly.instantiate(module, imports))
          .then((instance) => {
            const missing = BINARY_EXPORTS.filter((name) => !(name in instance.exports));
            if (missing.length > 0) throw new WebAssembly.LinkError(`not the binary of this build: it exports no ${missing.join(', ')}`);
            receive(instance);
          })
          // The module's own promise then never settles: this one says why.
          .catch(reject);
        return {};
      },
    })
      .then((module) => ((loaded = true), wrapAssembly(module)))
      .then(resolve, reject);
  });
}
