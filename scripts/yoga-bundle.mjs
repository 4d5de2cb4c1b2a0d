// Ink's layout engine for the dashboard the front opens: dist/yoga.cjs, a CommonJS bundle that the
// front loads with its code cache (bin/front.ts loadYoga), and dist/yoga.wasm, its WebAssembly binary.
// yoga-layout ships the binary inlined in its module as base64 text, which its loader decodes with a
// JavaScript loop, and it awaits the instance at its top level (an ES module, compiled without a code
// cache on Node 20, behind Node's ES module loader). Here the build decodes the binary once, into
// dist/yoga.wasm, and the bundle exports a function that instantiates what it is given: about half
// the time to a layout engine before the first frame (bin/yoga.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** yoga-layout's folder: its `exports` name only its index and `./load`, so its files are found from the index. */
const root = join(dirname(require.resolve('yoga-layout')), '..', '..');
const BINARY_MODULE = join(root, 'dist', 'binaries', 'yoga-wasm-base64-esm.js');
const DATA_URI = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/;

/**
 * The esbuild plugin of dist/yoga.cjs: `yoga-layout-binary` and `yoga-layout-wrap` are yoga-layout's
 * Emscripten module and its wrapper, the module without its inlined binary (written to
 * `wasmFile` instead) and without `import.meta.url` (it only names where the binary would be fetched from).
 */
export function yogaBundle(wasmFile) {
  return {
    name: 'yoga-bundle',
    setup(build) {
      build.onResolve({ filter: /^yoga-layout-binary$/ }, () => ({ path: BINARY_MODULE }));
      build.onResolve({ filter: /^yoga-layout-wrap$/ }, () => ({ path: join(root, 'dist', 'src', 'wrapAssembly.js') }));
      build.onLoad({ filter: /[/\\]yoga-wasm-base64-esm\.js$/ }, () => {
        const source = readFileSync(BINARY_MODULE, 'utf8');
        const binary = source.match(DATA_URI);
        if (!binary || source.split(DATA_URI).length !== 3) throw new Error(`yoga-bundle: ${BINARY_MODULE} no longer holds its binary as one base64 data URI; yoga-layout changed`);
        const bytes = Buffer.from(binary[1], 'base64');
        // The magic number and version of a WebAssembly binary.
        if (!bytes.subarray(0, 8).equals(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))) throw new Error(`yoga-bundle: the data URI of ${BINARY_MODULE} is not a WebAssembly binary`);
        writeFileSync(wasmFile, bytes);
        return { contents: source.replace(DATA_URI, 'data:application/octet-stream;base64,').replaceAll('import.meta.url', 'undefined'), loader: 'js' };
      });
    },
  };
}
