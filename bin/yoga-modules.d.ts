// The modules of yoga-layout that bin/yoga.ts imports, by the names scripts/yoga-bundle.mjs resolves
// (its package's exports name neither file): its Emscripten module, the wrapper of what it gives, and
// the names its binary exports, read from the binary by the build.
declare module 'yoga-layout-binary' {
  const loadYogaModule: (module: {
    print(text: string): void;
    printErr(text: string): void;
    /** Emscripten's hook: instantiate the binary with `imports`, hand the instance to `receive`, return `{}` meanwhile. */
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void): object;
  }) => Promise<unknown>;
  export default loadYogaModule;
}

declare module 'yoga-layout-wrap' {
  const wrapAssembly: (lib: unknown) => unknown;
  export default wrapAssembly;
}

declare module 'yoga-layout-exports' {
  const exports: readonly string[];
  export default exports;
}
