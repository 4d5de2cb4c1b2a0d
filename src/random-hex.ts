/**
 * `bytes` random bytes in hex, from the system's secure generator (Web Crypto's getRandomValues).
 * Node's crypto module loads at the first call, not as the module importing this one loads.
 */
export function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}
