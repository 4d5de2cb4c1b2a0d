// Ink's layout engine (yoga, WebAssembly), an ES module of its own (dist/yoga.js): its top-level
// await has no place in a CommonJS bundle. The front imports it before dist/dashboard.cjs, which
// reads it from globalThis (bin/front.ts loadDashboard).
export { default } from 'yoga-layout';
