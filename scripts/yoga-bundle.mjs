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
/**
 * The yoga-layout Ink uses, found from Ink as Ink finds it (a yoga-layout of another version may be
 * the hoisted one). Its `exports` name only its index and `./load`, so its files are found from the index.
 */
const root = join(dirname(createRequire(require.resolve('ink')).resolve('yoga-layout')), '..', '..');
const BINARY_MODULE = join(root, 'dist', 'binaries', 'yoga-wasm-base64-esm.js');
const DATA_URI = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/;

/** yoga-layout's Emscripten module as it ships, and its binary, decoded from the module's data URI. */
function shipped() {
  const source = readFileSync(BINARY_MODULE, 'utf8');
  const binary = source.match(DATA_URI);
  if (!binary || source.split(DATA_URI).length !== 3) throw new Error(`yoga-bundle: ${BINARY_MODULE} no longer holds its binary as one base64 data URI; yoga-layout changed`);
  const bytes = Buffer.from(binary[1], 'base64');
  if (!WebAssembly.validate(bytes)) throw new Error(`yoga-bundle: the data URI of ${BINARY_MODULE} is not a WebAssembly binary`);
  return { source, bytes };
}

/**
 * The esbuild plugin of dist/yoga.cjs (bin/yoga.ts), whose three imports it resolves:
 * - `yoga-layout-binary`: yoga-layout's Emscripten module without its inlined binary (written to
 *   `wasmFile` instead) and without `import.meta.url` (it only names where the binary would be fetched from);
 * - `yoga-layout-wrap`: yoga-layout's wrapper of what the module gives;
 * - `yoga-layout-exports`: the names the binary exports, which the bundle checks a binary for.
 */
export function yogaBundle(wasmFile) {
  return {
    name: 'yoga-bundle',
    setup(build) {
      // Read and decoded once a build, for both modules that need it.
      let found;
      const module = () => (found ??= shipped());
      build.onResolve({ filter: /^yoga-layout-binary$/ }, () => ({ path: BINARY_MODULE }));
      build.onResolve({ filter: /^yoga-layout-wrap$/ }, () => ({ path: join(root, 'dist', 'src', 'wrapAssembly.js') }));
      build.onResolve({ filter: /^yoga-layout-exports$/ }, () => ({ path: 'yoga-layout-exports', namespace: 'yoga-exports' }));
      build.onLoad({ filter: /[/\\]yoga-wasm-base64-esm\.js$/ }, () => {
        const { source, bytes } = module();
        writeFileSync(wasmFile, bytes);
        return { contents: source.replace(DATA_URI, 'data:application/octet-stream;base64,').replaceAll('import.meta.url', 'undefined'), loader: 'js' };
      });
      build.onLoad({ filter: /.*/, namespace: 'yoga-exports' }, () => {
        const names = WebAssembly.Module.exports(new WebAssembly.Module(module().bytes)).map((e) => e.name);
        return { contents: `export default ${JSON.stringify(names)};`, loader: 'js' };
      });
    },
  };
}
