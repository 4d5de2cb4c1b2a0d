/**
 * Runs `load` with no global fetch. Ink's layout engine (yoga, WebAssembly) loads its
 * inlined binary with fetch() when there is one, which makes Node load its whole HTTP
 * client (undici) first: about 20 ms before the first frame for nothing. Without fetch
 * it decodes the same bytes directly. Nothing else runs while it loads.
 */
export async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!descriptor?.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', descriptor);
  }
}
