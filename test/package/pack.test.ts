import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { startFakeAws } from '../fake-aws/server.js';
import { TmuxTerminal } from '../helpers/tmux.js';
import { synthWorkerReply } from '../helpers/synth-worker.js';
import { stackProfiles } from '../infra/stack-helpers.js';
import { endProcess } from '../helpers/wait.js';
import { helperPlace, helperState, SYNTH_HELPER_SWITCH } from '../../src/infra/synth-helper.js';

/** Reports each file of a dist/ folder a run loads (`LOADED <file URL>` on stderr). */
const TRACE_LOADED = fileURLToPath(new URL('../fixtures/trace-loaded-files.mjs', import.meta.url));

/**
 * The package as a user gets it: `npm pack` of a checkout with no dist/ (so
 * packing must build it), installed from the tarball into an empty project,
 * then run from there. The registry is reached for the dependencies; the
 * npm cache keeps it fast.
 */

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const NOT_COPIED = ['node_modules', 'dist', 'cdk.out', '.git', join('bench', '.out'), join('test', 'fake-aws', '.out'), 'coverage'];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...env }, encoding: 'utf8', timeout: 240_000 });
  if (r.error) throw r.error;
  return r;
}

function duBytes(path: string): number {
  return Number(run('du', ['-sb', path], ROOT).stdout.split('\t')[0]);
}

describe('the published package', { timeout: 300_000 }, () => {
  let tarball: string;
  let files: string[];
  let project: string;

  beforeAll(() => {
    // A clean checkout: the project's files without dist/, its node_modules linked for the build.
    const checkout = join(tempDir('bd-pack-src-'), 'benchling-deploy');
    cpSync(ROOT, checkout, {
      recursive: true,
      filter: (src) => {
        const path = relative(ROOT, src);
        return !NOT_COPIED.some((p) => path === p || path.startsWith(p + sep));
      },
    });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const out = tempDir('bd-pack-out-');
    const packed = run('npm', ['pack', '--json', '--pack-destination', out], checkout);
    expect(packed.status, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; size: number; files: { path: string }[] }[];
    tarball = join(out, info[0].filename);
    files = info[0].files.map((f) => f.path).sort();

    project = tempDir('bd-pack-project-');
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'probe', version: '1.0.0', private: true }, null, 2)}\n`);
    const installed = run('npm', ['install', tarball, '--prefer-offline', '--no-package-lock'], project);
    expect(installed.status, installed.stderr).toBe(0);
    console.log(`tarball ${statSync(tarball).size} bytes (${files.length} files); installed node_modules ${duBytes(join(project, 'node_modules'))} bytes; the clone's node_modules ${duBytes(join(ROOT, 'node_modules/'))} bytes`);
  }, 300_000);

  it('holds the entry and the bundle, built by packing, and nothing else: no tests, sources or source maps', () => {
    expect(files).toContain('bin/benchling-deploy.cjs');
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/synth-worker.cjs');
    expect(files).toContain('dist/status-worker.cjs');
    for (const front of ['dist/synth-modules.cjs', 'dist/front.cjs', 'dist/light.cjs', 'dist/checks.cjs', 'dist/status.cjs', 'dist/synth.cjs', 'dist/sdk.cjs', 'dist/dashboard.cjs', 'dist/yoga.cjs', 'dist/yoga.wasm', 'dist/light.cjs.cache', 'dist/checks.cjs.cache', 'dist/status.cjs.cache', 'dist/synth.cjs.cache', 'dist/sdk.cjs.cache', 'dist/yoga.cjs.cache', 'dist/dashboard.cjs.cache']) expect(files).toContain(front);
    expect(files).toContain('README.md');
    const unexpected = files.filter((f) => !(f === 'package.json' || f === 'README.md' || f === 'bin/benchling-deploy.cjs' || f === 'dist/yoga.wasm' || /^dist\/[^/]+\.(c?js|cjs\.cache)$/.test(f)));
    expect(unexpected).toEqual([]);
  });

  it('installs only what the command loads: no test-only packages, nothing the bundle already holds (the AWS SDK included)', () => {
    const modules = join(project, 'node_modules');
    for (const needed of ['aws-cdk', 'aws-cdk-lib', 'constructs', 'execa']) expect(existsSync(join(modules, needed)), needed).toBe(true);
    for (const absent of ['@aws-sdk', '@smithy', 'cdk-nag', 'ink', 'react', 'zod', 'commander', 'ink-spinner', 'ink-text-input', 'esbuild', 'vitest', 'typescript']) expect(existsSync(join(modules, absent)), absent).toBe(false);
  });

  it('`npx benchling-deploy --help` runs from the installed package', () => {
    const r = run('npx', ['--no-install', 'benchling-deploy', '--help'], project, { CI: 'true' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: benchling-deploy/);
    expect(r.stdout).toMatch(/\bsynth\b/);
    expect(r.stderr).toBe('');
  });

  it('`validate` and an argument error run from the installed package (the CommonJS front, commander inlined)', () => {
    const config = tempDir('bd-pack-config-');
    writeJson(config, 'default.json', prodProfile());
    const valid = run('npx', ['--no-install', 'benchling-deploy', '--config-dir', config, 'validate'], project, { CI: 'true' });
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stdout).toContain(`${join(config, 'default.json')}: valid (prod)`);
    const wrong = run('npx', ['--no-install', 'benchling-deploy', 'deploy', '--no-such-flag'], project, { CI: 'true' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('`benchling-deploy synth` writes the template from the installed package, with no AWS access', () => {
    const config = tempDir('bd-pack-config-');
    writeJson(config, 'default.json', prodProfile());
    writeJson(config, 'dev.json', devProfile());
    const home = tempDir('bd-pack-home-');
    const r = run('npx', ['--no-install', 'benchling-deploy', '--config-dir', config, 'synth', '--out', join(project, 'assembly'), '--json'], project, {
      CI: 'true',
      HOME: home,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_PROFILE: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { templatePath: string; environments: string[] };
    expect(out.environments.sort()).toEqual(['dev', 'prod']);
    const template = JSON.parse(readFileSync(out.templatePath, 'utf8')) as { Resources: Record<string, unknown> };
    expect(Object.keys(template.Resources).length).toBeGreaterThan(20);
  });

  it('a second `synth` from the installed package is answered by the synth helper the first (at a terminal) started (dist/synth-helper.cjs), with the same template', async () => {
    const config = tempDir('bd-pack-config-');
    writeJson(config, 'default.json', prodProfile());
    writeJson(config, 'dev.json', devProfile());
    const home = tempDir('bd-pack-home-');
    // A user's shell: not CI, the helper not switched off. The installed entry, run as npx runs it, by this test's Node (whose path the helper's place names).
    const env = { CI: undefined, [SYNTH_HELPER_SWITCH]: undefined, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined, AWS_EC2_METADATA_DISABLED: 'true' };
    const installed = join(project, 'node_modules', 'benchling-deploy');
    const argv = (out: string) => [process.execPath, join(installed, 'bin', 'benchling-deploy.cjs'), '--config-dir', config, 'synth', '--out', join(project, out)];
    const synth = (out: string) => run(argv(out)[0]!, argv(out).slice(1), project, env);
    // At a terminal (util-linux `script` gives it a pseudo-terminal), as a person runs it: a synth there starts the helper.
    const synthAtTerminal = (out: string) => run('script', ['-qec', argv(out).map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'], project, env);
    const full = { ...process.env, ...env };
    for (const k of Object.keys(full)) if (full[k as keyof typeof full] === undefined) delete full[k as keyof typeof full];
    const place = helperPlace(join(installed, 'dist'), full as NodeJS.ProcessEnv, []);
    expect(place).toBeDefined();
    const first = synthAtTerminal('helper-first');
    expect(first.status, first.stdout).toBe(0);
    let state;
    for (let i = 0; i < 600 && (state = await helperState(place!)) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(state?.served).toBe(0);
    try {
      const second = synth('helper-second');
      expect(second.status, second.stderr).toBe(0);
      expect(await helperState(place!)).toEqual({ pid: state!.pid, served: 1, userErrors: 0 });
      const template = (out: string) => readFileSync(join(project, out, 'BenchlingWebhookStack.template.json'), 'utf8');
      expect(template('helper-second')).toBe(template('helper-first'));
    } finally {
      // Ended before its folder goes: it saves the code cache there as it exits.
      await endProcess(state!.pid);
    }
  });

  it('`benchling-deploy status` reads AWS from the installed package with the SDK it bundles: no @aws-sdk package is installed', async () => {
    const config = tempDir('bd-pack-config-');
    writeJson(config, 'default.json', prodProfile());
    writeJson(config, 'dev.json', devProfile());
    const home = tempDir('bd-pack-home-');
    const fake = await startFakeAws();
    expect(existsSync(join(project, 'node_modules', '@aws-sdk'))).toBe(false);
    try {
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env = { PATH: process.env.PATH, HOME: home, CI: 'true', NO_COLOR: '1', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), ...fake.env };
        execFile(process.execPath, [join(project, 'node_modules', '.bin', 'benchling-deploy'), '--config-dir', config, 'status'], { cwd: project, env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^dev +dev +healthy +1\/1 /m);
      expect(r.stdout).toMatch(/^prod +default +healthy +2\/2 /m);
    } finally {
      await fake.close();
    }
  });

  it('the dashboard opens from the installed package on a terminal (dist/dashboard.cjs, after dist/yoga.cjs and dist/yoga.wasm) and shows both environments from AWS; q quits, status 0', async () => {
    const config = tempDir('bd-pack-config-');
    writeJson(config, 'default.json', prodProfile());
    writeJson(config, 'dev.json', devProfile());
    const home = tempDir('bd-pack-home-');
    // The files of the package's dist/ the dashboard loads, on stderr (a file): trace-loaded-files.
    const err = join(tempDir('bd-pack-out-'), 'stderr');
    const t = new TmuxTerminal();
    const fake = await startFakeAws();
    try {
      // The exit status, whole (mv), to a file of its own: the shell's word, not tmux's view of the pane.
      t.start(`${process.execPath} --import ${TRACE_LOADED} ${join(project, 'node_modules', '.bin', 'benchling-deploy')} --config-dir ${config} 2> ${err}; echo $? > ${err}.st && mv ${err}.st ${err}.status`, { HOME: home, NO_COLOR: '1', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), ...fake.env }, { columns: 120, rows: 40 });
      await t.waitFor((s) => /dev +healthy +1\/1 running/.test(s) && /prod +healthy +2\/2 running/.test(s), 'both environments with their data', 30_000);
      t.send('q');
      for (const end = Date.now() + 20_000; !existsSync(`${err}.status`); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end) throw new Error(`q did not end the dashboard within 20 s; the processes of its terminal:\n${t.processes()}\nthe screen:\n${t.screen()}`);
      }
      expect(readFileSync(`${err}.status`, 'utf8').trim()).toBe('0');
    } finally {
      t.kill();
      await fake.close();
    }
    const loaded = [...readFileSync(err, 'utf8').matchAll(/^LOADED (\S+)$/gm)].map((m) => fileURLToPath(m[1]!));
    const dist = join(project, 'node_modules', 'benchling-deploy', 'dist');
    // The package's own files, in the order loaded, and nothing of the ESM bundle.
    expect(loaded.filter((f) => basename(f) !== 'sdk.cjs')).toEqual(['front.cjs', 'yoga.cjs', 'dashboard.cjs'].map((f) => join(dist, f)));
  });

  it("the dashboard's synth worker runs from the installed package: dist/synth.cjs with the build's code cache, aws-cdk-lib from the project's node_modules, loaded ahead", async () => {
    const worker = join(project, 'node_modules', 'benchling-deploy', 'dist', 'synth-worker.cjs');
    const outDir = join(tempDir('bd-pack-out-'), 'cdk.out');
    // A fresh user's: a worker thread's os.homedir() is the process's, whatever HOME its environment gives, so the cache folder is named.
    const home = tempDir('bd-pack-home-');
    const reply = await synthWorkerReply(worker, { profiles: stackProfiles({ prod: {} }), outDir }, { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, '.cache') });
    expect(reply).toMatchObject({ ok: true, assemblyDir: outDir, bundleCodeCache: true });
    // Its code cache of aws-cdk-lib, written before it answered, in that folder.
    expect(existsSync(join(home, '.cache', 'benchling-deploy', 'compile', 'code-cache.bin'))).toBe(true);
    // The installed aws-cdk-lib is the version the build recorded (package.json pins it): its files loaded ahead.
    expect(reply.preloaded).toBeGreaterThan(100);
    const template = JSON.parse(readFileSync(join(outDir, 'BenchlingWebhookStack.template.json'), 'utf8')) as { Resources: Record<string, unknown> };
    expect(Object.keys(template.Resources).length).toBeGreaterThan(20);
  });

  it("execa (an ES module only, for cdk) resolves from the installed front, which imports it for dist/dashboard.cjs", () => {
    const front = join(project, 'node_modules', 'benchling-deploy', 'dist', 'front.cjs');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(front)}).importModule('execa').then((m) => process.stdout.write(typeof m.execa))`], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tempDir('bd-pack-home-') } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('function');
  });
});

describe('the bundle', () => {
  // ws (inside Ink's devtools, loaded only with DEV=true) tries these optional packages in a try/catch.
  const OPTIONAL = new Set(['bufferutil', 'utf-8-validate', 'react-devtools-core']);

  it('loads from node_modules only runtime dependencies (cdk-nag, Ink, React, zod are inlined or test-only; the AWS SDK clients are inlined)', () => {
    const dist = join(ROOT, 'dist');
    const loaded = new Set<string>();
    for (const file of readdirSync(dist).filter((f) => /\.c?js$/.test(f))) {
      const text = readFileSync(join(dist, file), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|(?:\b|__)require\s*\(\s*|\bimport\s*)["']([^"'./][^"']*)["']/g)) {
        // The bundled SDK's error texts show how to load optional packages: `[require("@aws-sdk/signature-v4-crt");]`.
        if (text[m.index - 1] === '[') continue;
        const name = m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0];
        if (!name.startsWith('node:') && !builtinModules.includes(name) && /^(@[a-z0-9-]+\/)?[a-z0-9][a-z0-9._-]*$/.test(name)) loaded.add(name);
      }
    }
    expect(loaded.has('aws-cdk-lib')).toBe(true);
    const notDependencies = [...loaded].filter((n) => !(n in pkg.dependencies) && !OPTIONAL.has(n));
    expect(notDependencies).toEqual([]);
    // The AWS SDK clients are bundled (src/state/sdk-modules.ts), built from development dependencies:
    // none is a dependency or loaded from node_modules, and each one's code is in dist/.
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@aws-sdk/') || d.startsWith('@smithy/'))).toEqual([]);
    const sdk = Object.keys(pkg.devDependencies).filter((d) => d.startsWith('@aws-sdk/client-'));
    expect(sdk.length).toBeGreaterThan(5);
    expect(sdk.filter((d) => loaded.has(d))).toEqual([]);
    const bundled = new Set(
      readdirSync(dist)
        .filter((f) => /\.c?js\.map$/.test(f))
        .flatMap((f) => (JSON.parse(readFileSync(join(dist, f), 'utf8')) as { sources: string[] }).sources)
        .flatMap((s) => /node_modules\/(@aws-sdk\/[^/]+)\//.exec(s)?.[1] ?? []),
    );
    expect(sdk.filter((d) => !bundled.has(d))).toEqual([]);
    // aws-cdk is not imported: src/infra/runner.ts runs its CLI from node_modules.
    expect(Object.keys(pkg.dependencies).filter((d) => d !== 'aws-cdk' && !loaded.has(d))).toEqual([]);
  });
});
