// Writes V8's code cache of the bundles bin/front.ts loads (loadBundle) beside them
// (dist/light.cjs.cache, dist/checks.cjs.cache, dist/synth.cjs.cache, dist/status.cjs.cache,
// dist/sdk.cjs.cache, dist/yoga.cjs.cache, dist/dashboard.cjs.cache). Each cache is taken after a run of what the bundle
// is there for (--help; validate, profiles and synth on a sample config folder; status, and with it the AWS SDK, then
// the dashboard until both environments show their data, against the fake AWS endpoint of test/),
// so it holds the functions those runs compiled, not only the top level. The synth run also records
// the files of aws-cdk-lib it loaded (dist/synth-modules.cjs), for the dashboard's synth worker. Run by
// scripts/build.mjs in a child process of its own: the runs print, and set the exit status.
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const front = require('../dist/front.cjs');
/** How this script ends; the dashboard's own last resort (process.exit from a timer) must not end it. */
const exit = process.exit.bind(process);
// A user's code caches (bin/front.ts) are neither read nor written by the build's runs.
process.env[front.USER_CODE_CACHE_SWITCH] = 'off';
/** The list of the modules a synthesis loads, for the dashboard's synth worker to load ahead (src/infra/synth-worker.ts). */
const SYNTH_MODULES = 'synth-modules.cjs';
/** How long the status run, and then the dashboard's, may take before the build goes on without their caches. */
const RUN_MS = 30_000;
const QUILT = 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555';

const light = front.loadBundle('light.cjs', { cache: false });
await light.exports.runFront([process.execPath, 'benchling-deploy', '--help'], async () => {});
writeCache('light.cjs', light.script.createCachedData());

const dir = mkdtempSync(join(tmpdir(), 'bd-code-cache-'));
// The tool's caches (the stack's parts status and the dashboard keep, anything else under XDG_CACHE_HOME) in this
// build's folder, removed at its end: building (npm ci runs it) writes nothing into the user's ~/.cache.
process.env.XDG_CACHE_HOME = join(dir, 'cache');
try {
  writeFileSync(join(dir, 'default.json'), JSON.stringify({ profile: 'default', benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT, imageTag: '0.7.0', pkgBucket: 'acme-packages' }), { mode: 0o600 });
  const checks = front.loadBundle('checks.cjs', { cache: false });
  await checks.exports.runFrontCommand('validate', {}, { configDir: dir });
  await checks.exports.runFrontCommand('profiles', {}, { configDir: dir });
  writeCache('checks.cjs', checks.script.createCachedData());

  // synth.cjs (bin/route.ts FRONT_BUNDLES): the prod profile's stack synthesized into a folder of this run, offline.
  // Not through the user's code cache of aws-cdk-lib (src/infra/compile-cache.ts): the build writes none.
  await cacheSynth(dir);

  // status.cjs and sdk.cjs, as the built command loads them (bin/route.ts FRONT_BUNDLES, src/state/sdk-modules.ts):
  // a real poll of dev and prod, every client status calls with its protocol, credentials from the environment,
  // signing and retries; then dashboard.cjs, drawn until both environments show their data. Against the fake AWS
  // of test/: what cannot run, the build goes on without and says so (test/cli/front.test.ts fails on such a build).
  // The dashboard runs only after status ended well: a status run that failed or did not answer in time could
  // still write to the terminal the dashboard draws on, or set the exit status it is judged by.
  let fake;
  try {
    fake = await inTime(() => startFake(dir));
  } catch (error) {
    skipped(['status.cjs', 'sdk.cjs', 'dashboard.cjs', 'yoga.cjs'], error);
  }
  if (fake) {
    try {
      await inTime(() => cacheStatusAndSdk(dir));
      await inTime(() => cacheDashboard(dir)).catch((error) => skipped(['dashboard.cjs', 'yoga.cjs'], error));
    } catch (error) {
      skipped(['status.cjs', 'sdk.cjs', 'dashboard.cjs', 'yoga.cjs'], error);
    } finally {
      await fake.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// Ended here, whatever a run that did not answer left open.
exit(0);

/** `run()`, or its failure once it has taken {@link RUN_MS}. */
async function inTime(run) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${RUN_MS / 1000} s`)), RUN_MS)));
  return Promise.race([run(), late]).finally(() => clearTimeout(timer));
}

/** No cache for these bundles (an older build's removed too): said, and the build goes on. */
function skipped(names, error) {
  for (const name of names) rmSync(join(distDir(), `${name}.cache`), { force: true });
  process.exitCode = 0;
  process.stderr.write(`scripts/code-cache.mjs: no code cache for ${names.join(', ')} (${error?.message ?? error}): ${names.length > 1 ? 'they compile' : 'it compiles'} from source on every run\n`);
}

/** dist/synth.cjs, after a synth of the sample folder's profiles (prod's alone: a template that cdk sends inline, so the run warns of nothing). */
async function cacheSynth(dir) {
  /** The switches this run turns off, with the values they had (undefined: unset), put back after. */
  const before = new Map();
  try {
    const synth = front.loadBundle('synth.cjs', { cache: false });
    // The run keeps no code cache of its own, nor does it start a synth helper (src/infra/synth-helper.ts), which would outlive the build.
    for (const exported of ['COMPILE_CACHE_SWITCH', 'SYNTH_HELPER_SWITCH']) {
      const name = synth.exports[exported];
      if (typeof name !== 'string') throw new Error(`dist/synth.cjs exports no ${exported}`);
      before.set(name, process.env[name]);
      process.env[name] = 'off';
    }
    const loadedBefore = new Set(Object.keys(require.cache));
    await inTime(() => synth.exports.runFrontCommand('synth', { out: join(dir, 'synth-out') }, { configDir: dir }));
    if (process.exitCode !== 0) throw new Error(`synth of the sample profiles ended with ${process.exitCode}`);
    writeCache('synth.cjs', synth.script.createCachedData());
    try {
      writeSynthModules([...Object.keys(require.cache)].filter((file) => !loadedBefore.has(file)));
    } catch (error) {
      // Only the list is lost: the worker then loads aws-cdk-lib as the stack is built.
      rmSync(join(distDir(), SYNTH_MODULES), { force: true });
      process.stderr.write(`scripts/code-cache.mjs: no ${SYNTH_MODULES} (${error?.message ?? error}): the dashboard's synth worker loads nothing ahead\n`);
    }
  } catch (error) {
    rmSync(join(distDir(), SYNTH_MODULES), { force: true });
    skipped(['synth.cjs'], error);
  } finally {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * dist/synth-modules.cjs: the files of aws-cdk-lib and constructs that the synth run loaded, in
 * the order it began loading them (require.cache's), each package's relative to its folder, with
 * the package's version: the dashboard's synth worker loads them while the pre-flight runs.
 */
function writeSynthModules(loaded) {
  const requireFromDist = createRequire(join(distDir(), 'synth.cjs'));
  const packages = {};
  for (const name of ['aws-cdk-lib', 'constructs']) {
    const manifest = requireFromDist.resolve(`${name}/package.json`);
    const folder = dirname(manifest);
    const files = loaded.filter((file) => file.startsWith(`${folder}${sep}`)).map((file) => relative(folder, file).split(sep).join('/'));
    packages[name] = { version: JSON.parse(readFileSync(manifest, 'utf8')).version, files };
  }
  if (packages['aws-cdk-lib'].files.length === 0) throw new Error('the synth run loaded no file of aws-cdk-lib');
  writeFileSync(join(distDir(), SYNTH_MODULES), `// Written by scripts/code-cache.mjs: what a synthesis loads, for the dashboard's synth worker to load ahead.\nmodule.exports = ${JSON.stringify(packages)};\n`);
}

/** The fake AWS of test/, the only AWS this process's runs see: credentials from the environment, no shared files. */
async function startFake(dir) {
  writeFileSync(join(dir, 'dev.json'), JSON.stringify({ profile: 'dev', benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT, pkgBucket: 'acme-dev-packages' }), { mode: 0o600 });
  const { loadFakeAws } = await import('../test/fake-aws/serve.mjs');
  const fakeAws = await loadFakeAws();
  const fake = await fakeAws.startFakeAws(fakeAws.standardScenario());
  for (const name of Object.keys(process.env)) if (/^AWS_/.test(name)) delete process.env[name];
  Object.assign(process.env, fake.env, { AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials') });
  return fake;
}

async function cacheStatusAndSdk(dir) {
  process.env.CI = 'true';
  // Compiled from their sources, not from an earlier build's caches.
  rmSync(join(distDir(), 'sdk.cjs.cache'), { force: true });
  const status = front.loadBundle('status.cjs', { cache: false });
  await status.exports.runFrontCommand('status', {}, { configDir: dir });
  if (process.exitCode !== 0) throw new Error(`status against the fake AWS ended with ${process.exitCode}`);
  const sdk = front.loadedBundles.get('sdk.cjs');
  if (!sdk) throw new Error('status did not load dist/sdk.cjs');
  writeCache('status.cjs', status.script.createCachedData());
  writeCache('sdk.cjs', sdk.createCachedData());
}

/**
 * dist/dashboard.cjs, as the front opens it (bin/front.ts loadDashboard), drawn on a terminal of
 * this process (120x40) until both environments show their data, then quit with `q`.
 */
async function cacheDashboard(dir) {
  const dashboard = await front.loadDashboard({ cache: false });
  const stdout = Object.assign(new EventEmitter(), { isTTY: true, columns: 120, rows: 40, screen: '', write(chunk) {
    this.screen += String(chunk);
    return true;
  } });
  const stdin = Object.assign(new EventEmitter(), { isTTY: true, queue: [], setRawMode() {}, setEncoding() {}, ref() {}, unref() {}, resume() {}, pause() {},
    read() {
      return this.queue.shift() ?? null;
    },
    type(text) {
      this.queue.push(text);
      this.emit('readable');
    },
  });
  const real = { stdout: Object.getOwnPropertyDescriptor(process, 'stdout'), stdin: Object.getOwnPropertyDescriptor(process, 'stdin') };
  // Ink draws only the last frame, at the end, where it finds CI (is-in-ci reads both).
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // The dashboard's last resort, process.exit a second after it ends (bin/commands/dashboard.ts), is not this script's end.
  process.exit = () => undefined;
  Object.defineProperty(process, 'stdout', { value: stdout, configurable: true });
  Object.defineProperty(process, 'stdin', { value: stdin, configurable: true });
  const data = /dev +healthy +1\/1 running[\s\S]*prod +healthy +2\/2 running/;
  let shown = false;
  const check = setInterval(() => {
    if (shown || !data.test(stdout.screen.slice(-20_000).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''))) return;
    shown = true;
    stdin.type('q');
  }, 20);
  process.exitCode = undefined;
  try {
    await dashboard.exports.openDashboard({ configDir: dir });
    if (!shown) throw new Error('the dashboard ended before both environments showed their data');
    if (process.exitCode !== 0) throw new Error(`the dashboard against the fake AWS ended with ${process.exitCode}`);
  } finally {
    clearInterval(check);
    Object.defineProperty(process, 'stdout', real.stdout);
    Object.defineProperty(process, 'stdin', real.stdin);
  }
  writeCache('dashboard.cjs', dashboard.script.createCachedData());
  // The layout engine's bundle, loaded by loadDashboard before it (bin/front.ts loadYoga), after the same run.
  const yoga = front.loadedBundles.get('yoga.cjs');
  if (!yoga) throw new Error('the dashboard did not load dist/yoga.cjs');
  writeCache('yoga.cjs', yoga.createCachedData());
}

/** The cache file bin/front.ts reads (codeCacheFor): magic line, lengths, the exact source, V8's data. */
function writeCache(name, data) {
  writeFileSync(join(distDir(), `${name}.cache`), front.codeCacheBytes(readFileSync(join(distDir(), name)), data, false));
}

function distDir() {
  return fileURLToPath(new URL('../dist/', import.meta.url));
}
