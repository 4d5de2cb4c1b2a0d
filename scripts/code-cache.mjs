// Writes V8's code cache of the front's bundles beside them (dist/light.cjs.cache,
// dist/checks.cjs.cache), read by bin/front.ts (loadBundle). Each cache is taken after a
// run of what the bundle is there for (--help; validate and profiles on a sample config
// folder), so it holds the functions those runs compiled, not only the top level. Run by
// scripts/build.mjs in a child process of its own: the runs print, and set the exit status.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const front = require('../dist/front.cjs');
const QUILT = 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555';

const light = front.loadBundle('light.cjs', { cache: false });
await light.exports.runFront([process.execPath, 'benchling-deploy', '--help'], async () => {});
writeCache('light.cjs', light.script.createCachedData());

const dir = mkdtempSync(join(tmpdir(), 'bd-code-cache-'));
try {
  writeFileSync(join(dir, 'default.json'), JSON.stringify({ profile: 'default', benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT, imageTag: '0.7.0', pkgBucket: 'acme-packages' }), { mode: 0o600 });
  const checks = front.loadBundle('checks.cjs', { cache: false });
  await checks.exports.runCheck('validate', {}, { configDir: dir });
  await checks.exports.runCheck('profiles', {}, { configDir: dir });
  writeCache('checks.cjs', checks.script.createCachedData());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = 0;

/** The cache file bin/front.ts reads (codeCacheFor): magic line, lengths, the exact source, V8's data. */
function writeCache(name, data) {
  const source = readFileSync(join(__dirname(), name));
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32LE(source.length, 0);
  lengths.writeUInt32LE(data.length, 4);
  writeFileSync(join(__dirname(), `${name}.cache`), Buffer.concat([Buffer.from(front.FRONT_CACHE_MAGIC, 'latin1'), lengths, source, data]));
}

function __dirname() {
  return new URL('../dist/', import.meta.url).pathname;
}
