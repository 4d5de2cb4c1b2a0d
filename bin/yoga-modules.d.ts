// The two modules of yoga-layout that bin/yoga.ts imports, by the names scripts/yoga-bundle.mjs resolves
// (its package's exports name neither file): its Emscripten module and the wrapper of what it gives.
declare module 'yoga-layout-binary' {
  const loadYogaModule: (module: { wasmBinary: Uint8Array; print(text: string): void; printErr(text: string): void }) => Promise<unknown>;
  export default loadYogaModule;
}

declare module 'yoga-layout-wrap' {
  const wrapAssembly: (lib: unknown) => unknown;
  export default wrapAssembly;
}
