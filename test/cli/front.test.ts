/**
 * The two bundles behind `benchling-deploy`: the CommonJS front (help, version, argument
 * errors, validate, profiles) and the ESM bundle (everything else). Each command runs in one
 * of them, its errors included: an error thrown inside a command prints as what it is, in
 * either bundle, never as an internal error because its class came from the other one.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import Module from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, copyOfBuild, runWithBothGone, runWithReaderGone, runWithStderrGone } from '../helpers/cli.js';
import { TmuxTerminal } from '../helpers/tmux.js';
import { linkInPlace, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';

const TRACE_LOADED = fileURLToPath(new URL('../fixtures/trace-loaded-files.mjs', import.meta.url));
/** Profiles of both environments, whose template is over the size cdk sends inline (synth warns). */
const SYNTH_DEV_AND_PROD = fileURLToPath(new URL('../fixtures/synth/dev-and-prod', import.meta.url));
const TRACE_STREAMS = fileURLToPath(new URL('../fixtures/trace-stdout-stream.cjs', import.meta.url));
/** Writes the file BD_TRACE_EAGAIN names when a write to stdout or stderr is first refused (EAGAIN). */
const TRACE_EAGAIN = fileURLToPath(new URL('../fixtures/trace-eagain.cjs', import.meta.url));
/** Says, for each bundle run as a vm.Script, whether V8 took the code cache given: `CODE CACHE <url> accepted|rejected|none`. */
const TRACE_CACHE = fileURLToPath(new URL('../fixtures/trace-sdk-files.mjs', import.meta.url));
/** Node's CommonJS wrapper, before and after a module's text: what the bundles the front compiles itself are written inside (scripts/build.mjs). */
const [WRAP_HEAD, WRAP_TAIL] = Module.wrap('\u0000').split('\u0000') as [string, string];

/** Runs the command and tells which files of dist/ it loaded. */
function run(args: string[], extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const home = tempDir('bd-front-');
  const r = spawnSync(process.execPath, ['--import', TRACE_LOADED, BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: home, CI: 'true', NO_COLOR: '1', ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const loaded = [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => basename(fileURLToPath(m[1])));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^LOADED \S+\n/gm, ''), loaded };
}

/**
 * The shell line `line(err)` in a terminal (tmux, 120x32); `q` once the screen shows `ready`. The
 * line writes the command's stderr to `err`, then its exit status, whole (mv), to `err.status`.
 * That status, the stderr without the trace lines, the files of dist/ loaded (trace-loaded-files),
 * what V8 made of each bundle's code cache (trace-sdk-files), and the screen `ready` matched.
 */
async function inTerminal(line: (err: string) => string, env: Record<string, string>, ready: RegExp | null): Promise<{ status: string; stderr: string; loaded: string[]; caches: Record<string, string>; screen: string }> {
  const err = join(tempDir('bd-front-out-'), 'stderr');
  const t = new TmuxTerminal();
  let screen = '';
  try {
    t.start(line(err), env);
    if (ready) {
      screen = await t.waitFor((s) => ready.test(s), 'the main screen', 20_000);
      t.send('q');
    }
    for (const end = Date.now() + 20_000; !existsSync(`${err}.status`); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) throw new Error(`the command did not end; the screen:\n${t.screen()}`);
    }
  } finally {
    t.kill();
  }
  const stderr = readFileSync(err, 'utf8');
  const loaded = [...stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => basename(fileURLToPath(m[1]!)));
  const caches = Object.fromEntries([...stderr.matchAll(/^CODE CACHE (\S+) (\S+)$/gm)].map((m) => [basename(fileURLToPath(m[1]!)), m[2]!]));
  return { status: readFileSync(`${err}.status`, 'utf8').trim(), stderr: stderr.replace(/^(LOADED|CODE CACHE|PACKAGE) .*\n/gm, ''), loaded, caches, screen };
}

describe('a command runs in one bundle, its errors included', () => {
  it.each([
    ['from the route', [], ['front.cjs', 'checks.cjs']],
    ['from the parser', ['-yy'], ['front.cjs', 'light.cjs', 'checks.cjs']],
  ])('validate (the front, %s): a bad profile is a user error naming file and field, exit 2, without the ESM bundle', (_how, before, files) => {
    const dir = tempDir('bd-front-config-');
    const file = writeJson(dir, 'default.json', prodProfile({ colour: 'blue' }));
    const r = run([...before, '--config-dir', dir, 'validate']);
    expect(r.loaded).toEqual(files);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('colour');
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.loaded).toContain('checks.cjs');
    expect(r.loaded).not.toContain('cli.js');
  });

  it('synth (the front, from the route: synth.cjs): no prod profile is a user error, said once, exit 2, without the parser or the ESM bundle', () => {
    const dir = tempDir('bd-front-config-');
    const r = run(['--config-dir', dir, 'synth', '--out', join(dir, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: no profiles in /);
    expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.loaded).toEqual(['front.cjs', 'synth.cjs']);
  });

  it.each([
    [['test', '-e', 'prod', '--timeout', '5'], /^error: no profile "default"/],
    [['-yy', 'status'], /^error: no prod profile/],
    [['-yy', 'synth'], /^error: no profiles in /],
  ])(
    '%j: parsed by the front parser (a value it checks, or a spelling only it reads), handed whole to the ESM bundle, which runs it: its user error printed once, exit 2',
    (args, message) => {
      const dir = tempDir('bd-front-config-');
      const r = run(['--config-dir', dir, ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.loaded.slice(0, 2)).toEqual(['front.cjs', 'light.cjs']);
      expect(r.loaded).toContain('cli.js');
      expect(r.loaded).not.toContain('checks.cjs');
    },
  );

  it.each([
    ['CI set', { CI: 'true' }],
    // No terminal: spawnSync's ends are pipes.
    ['no terminal, CI unset', { CI: '' }],
  ])('the bare command off a terminal (%s) is status once, in status.cjs: the same answer as `status`, without the ESM bundle', (_how, env) => {
    const dir = tempDir('bd-front-config-');
    const bare = run(['--config-dir', dir, '--json'], env);
    const status = run(['--config-dir', dir, '--json', 'status'], env);
    expect(bare.loaded).toEqual(['front.cjs', 'status.cjs']);
    expect({ status: bare.status, stdout: bare.stdout, stderr: bare.stderr }).toEqual({ status: status.status, stdout: status.stdout, stderr: status.stderr });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^error: no prod profile/);
  });

  it.each([
    ['stdin /dev/null, stdout the terminal', (cli: string, err: string) => `${cli} < /dev/null 2> ${err}; echo $? > ${err}.tmp; mv ${err}.tmp ${err}.status`],
    ['stdin the terminal, stdout a pipe (`| cat`)', (cli: string, err: string) => `{ ${cli} 2> ${err}; echo $? > ${err}.tmp; mv ${err}.tmp ${err}.status; } | cat`],
  ])('the bare command with one end a terminal (%s), CI unset: status once, in status.cjs', async (_how, line) => {
    const dir = tempDir('bd-front-config-');
    const r = await inTerminal((err) => line(`${process.execPath} --import ${TRACE_LOADED} ${BIN} --config-dir ${dir}`, err), { NO_COLOR: '1', HOME: tempDir('bd-front-home-') }, null);
    expect(r.loaded).toEqual(['front.cjs', 'status.cjs']);
    expect(r.status).toBe('2');
    expect(r.stderr).toMatch(/^error: no prod profile/);
  });

  it('a value the front refuses is an argument error, exit 2, and nothing runs', () => {
    const dir = tempDir('bd-front-config-');
    const r = run(['--config-dir', dir, 'test', '--timeout', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--timeout/);
    expect(r.loaded).toEqual(['front.cjs', 'light.cjs']);
  });
});

describe('the dashboard: a bare line on a terminal', () => {
  /** `bin` with `args` in a terminal, its loads and code caches traced; `q` once the main screen shows `ready`. */
  function onTerminal(bin: string, args: string, ready: RegExp | null) {
    const home = tempDir('bd-front-home-');
    const env = { NO_COLOR: '1', HOME: home, XDG_CACHE_HOME: join(home, 'cache'), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none') };
    return inTerminal((err) => `${process.execPath} --import ${TRACE_LOADED} --import ${TRACE_CACHE} ${bin} ${args} 2> ${err}; echo $? > ${err}.tmp; mv ${err}.tmp ${err}.status`, env, ready);
  }

  it('opens in dist/dashboard.cjs after dist/yoga.cjs (both code caches taken): neither the parser nor the ESM bundle loads', async () => {
    const dir = tempDir('bd-front-config-');
    writeJson(dir, 'default.json', prodProfile());
    const r = await onTerminal(BIN, `--config-dir ${dir}`, /BenchlingWebhookStack[\s\S]*q quit/);
    expect(r.screen).toMatch(/prod/);
    expect(r.status).toBe('0');
    // What it loads as it runs besides: the AWS SDK's bundle (the poll), and nothing of the ESM bundle.
    expect(r.loaded.filter((f) => f !== 'sdk.cjs')).toEqual(['front.cjs', 'yoga.cjs', 'dashboard.cjs']);
    expect([r.caches['yoga.cjs'], r.caches['dashboard.cjs']]).toEqual(['accepted', 'accepted']);
  }, 60_000);

  it('with --refresh (read by the route as its parser reads it) it opens there too: no parser, no ESM bundle', async () => {
    const dir = tempDir('bd-front-config-');
    writeJson(dir, 'default.json', prodProfile());
    const r = await onTerminal(BIN, `--refresh 7 --config-dir ${dir}`, /BenchlingWebhookStack[\s\S]*q quit/);
    expect(r.status).toBe('0');
    expect(r.loaded.filter((f) => f !== 'sdk.cjs')).toEqual(['front.cjs', 'yoga.cjs', 'dashboard.cjs']);
  }, 60_000);

  it('on a line only the parser reads (two short flags in one word), it opens in the ESM bundle, as before', async () => {
    const dir = tempDir('bd-front-config-');
    writeJson(dir, 'default.json', prodProfile());
    const r = await onTerminal(BIN, `-yy --config-dir ${dir}`, /BenchlingWebhookStack[\s\S]*q quit/);
    expect(r.status).toBe('0');
    expect(r.loaded).toContain('light.cjs');
    expect(r.loaded).toContain('cli.js');
    expect(r.loaded).not.toContain('dashboard.cjs');
  }, 60_000);

  it('a --refresh its parser refuses is the parser\'s error, exit 2: nothing is drawn', async () => {
    const dir = tempDir('bd-front-config-');
    writeJson(dir, 'default.json', prodProfile());
    const r = await onTerminal(BIN, `--refresh 0 --config-dir ${dir}`, null);
    expect(r.status).toBe('2');
    expect(r.stderr).toMatch(/--refresh <seconds>.*expected a number of seconds from 1 to 3600, got "0"/);
    expect(r.loaded).not.toContain('dashboard.cjs');
  }, 60_000);

  const mended = (file: string, why: string) =>
    new RegExp(`^benchling-deploy: dist/${file.replace('.', '\\.')} could not be loaded \\(${why}\\); reinstall benchling-deploy, or in a clone run \`npm run build\` \\(npm ci builds it\\)\\.\\n$`);

  it.each([
    ['without dist/yoga.cjs', 'yoga.cjs', null, /ENOENT[^\n]*yoga\.cjs[^\n]*/],
    ['without dist/yoga.wasm', 'yoga.wasm', null, /ENOENT[^\n]*yoga\.wasm[^\n]*/],
    ['without dist/dashboard.cjs', 'dashboard.cjs', null, /ENOENT[^\n]*dashboard\.cjs[^\n]*/],
    ['with an empty dist/yoga.cjs', 'yoga.cjs', '', /it exports no layout engine/],
    ['with a dist/yoga.wasm cut short', 'yoga.wasm', '\0asm\u0001\0\0\0\u0001', /WebAssembly\.compile\(\): [^\n]*/],
    // A binary WebAssembly takes that is not the build's: here an empty module, which exports nothing the layout engine reads.
    ['with a dist/yoga.wasm of another module', 'yoga.wasm', '\0asm\u0001\0\0\0', /not the binary of this build: it exports no E, F, G, H, I, J, K, L/],
    ['with an empty dist/dashboard.cjs', 'dashboard.cjs', '', /it exports no dashboard/],
    ['with a dist/dashboard.cjs cut short', 'dashboard.cjs', 'exports.openDashboard = async function (', /Unexpected [^\n]*/],
  ])('%s, it says which file and how to mend it: one line, exit 1', async (_what, file, content, why) => {
    const copy = copyOfBuild((name) => (content !== null || name !== file) && !name.endsWith('.map'));
    if (content !== null) writeFileSync(join(copy.dist, file), content);
    symlinkSync(join(ROOT, 'node_modules'), join(copy.dist, '..', 'node_modules'));
    const r = await onTerminal(copy.bin, `--config-dir ${tempDir('bd-front-config-')}`, null);
    expect(r.status).toBe('1');
    expect(r.stderr).toMatch(mended(file, why.source));
  }, 60_000);

  it('dist/yoga.cjs holds no copy of the binary it is given (yoga-layout ships it as base64 text in its module)', () => {
    const bundle = readFileSync(join(ROOT, 'dist', 'yoga.cjs'), 'latin1');
    const binary = readFileSync(join(ROOT, 'dist', 'yoga.wasm'));
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\0asm');
    expect(bundle).not.toContain(binary.subarray(0, 48).toString('base64').slice(0, 60));
    expect(bundle.length).toBeLessThan(binary.length);
  });

  it.each([
    ['a dist/dashboard.cjs that fails as it runs', 'dashboard.cjs', "'use strict';\nthrow new Error('the top level failed');\n", /Error: the top level failed/],
    ['a layout engine that fails otherwise than on its binary', 'yoga.cjs', "'use strict';\nexports.loadYoga = async () => { throw new TypeError('the engine failed'); };\n", /TypeError: the engine failed/],
  ])('%s is a bug, said as one with its stack (not "reinstall"), exit 1', async (_what, file, content, error) => {
    const copy = copyOfBuild((name) => !name.endsWith('.map'));
    writeFileSync(join(copy.dist, file), content);
    symlinkSync(join(ROOT, 'node_modules'), join(copy.dist, '..', 'node_modules'));
    const r = await onTerminal(copy.bin, `--config-dir ${tempDir('bd-front-config-')}`, null);
    expect(r.status).toBe('1');
    expect(r.stderr).toMatch(new RegExp(`^internal error \\(a bug in benchling-deploy; please report it\\):\\n${error.source}\\n\\s+at `));
    expect(r.stderr).not.toMatch(/reinstall/);
  }, 60_000);
});

describe("the front's output", () => {
  const env = { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1' };

  it.each([[['--help']], [['--version']], [['deploy', '--no-such-flag']], [['no-such-command']], [['validate']], [['profiles']], [['status']], [['synth']]])(
    '%j writes to the descriptors without building process.stdout or process.stderr (no net module loaded)',
    (args) => {
      const home = tempDir('bd-front-');
      const r = spawnSync(process.execPath, ['-r', TRACE_STREAMS, BIN, '--config-dir', home, ...args], { env: { ...env, HOME: home }, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.replace(/^STREAM-MODULES .*\n/m, '')).not.toBe('');
      expect(r.stderr).toMatch(/^STREAM-MODULES none$/m);
    },
  );

  it.each([[['cost']], [['history', '--environment', 'prod']], [['synth', '--out', 'OUT']], [['profiles']]])(
    '%j ends as it would with a reader when its reader has gone (`| head`): the same exit status, nothing on stderr',
    async (args) => {
      const dir = tempDir('bd-front-config-');
      writeJson(dir, 'default.json', prodProfile());
      const argv = [BIN, '--config-dir', dir, ...args.map((a) => (a === 'OUT' ? join(dir, 'out') : a))];
      const envOf = { PATH: process.env.PATH, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), CI: 'true', NO_COLOR: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };
      const read = spawnSync(process.execPath, argv, { env: envOf, encoding: 'utf8' });
      expect(read.stdout).not.toBe('');
      expect(await runWithReaderGone(argv, envOf)).toEqual({ status: read.status, stderr: read.stderr });
    },
    60_000,
  );

  it.each([
    ['synth of dev and prod: a warning on stderr, exit 0', 'the ESM bundle', 'cli.js', ['-yy', '--config-dir', SYNTH_DEV_AND_PROD, 'synth', '--out', 'OUT']],
    ['synth of dev and prod: a warning on stderr, exit 0', 'synth.cjs', 'synth.cjs', ['--config-dir', SYNTH_DEV_AND_PROD, 'synth', '--out', 'OUT']],
    ['diff without --environment: an error on stderr, exit 2', 'the ESM bundle', 'cli.js', ['--config-dir', 'HOME', 'diff']],
  ])('%s (%s): with stderr\'s reader gone, the same exit status and stdout; with one pipe for both gone (`2>&1 | head`), the same exit status', async (_what, _where, file, args) => {
    const dir = tempDir('bd-front-config-');
    const argv = [BIN, ...args.map((a) => (a === 'OUT' ? join(dir, 'out') : a === 'HOME' ? dir : a))];
    const envOf = { PATH: process.env.PATH, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), CI: 'true', NO_COLOR: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };
    const read = spawnSync(process.execPath, ['--import', TRACE_LOADED, ...argv], { env: envOf, encoding: 'utf8' });
    // Each runs in the bundle named, and says something on stderr.
    expect(read.stderr).toMatch(new RegExp(`^LOADED \\S+/dist/${file.replace('.', '\\.')}$`, 'm'));
    expect(read.stderr.replace(/^LOADED \S+\n/gm, '')).toMatch(/^(warning|error): /);
    expect(await runWithStderrGone(argv, envOf)).toEqual({ status: read.status, stdout: read.stdout });
    expect(await runWithBothGone(argv, envOf)).toEqual({ status: read.status, stderr: '' });
  }, 60_000);

  it('a command of the ESM bundle still prints through the streams (the check above can see them)', () => {
    const home = tempDir('bd-front-');
    const r = spawnSync(process.execPath, ['-r', TRACE_STREAMS, BIN, '-yy', '--config-dir', home, 'synth', '--out', join(home, 'out')], { env: { ...env, HOME: home }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^STREAM-MODULES net$/m);
  });

  it('--help to a reader that went away (`| head`) ends quietly with status 0', async () => {
    expect(await runWithReaderGone([BIN, '--help'], env)).toEqual({ status: 0, stderr: '' });
  });

  describe('to a pipe another process made non-blocking (the descriptor refuses writes: EAGAIN)', () => {
    /** A config folder whose `profiles` prints about 95 KB, more than a pipe holds, then a warning on stderr (a secret others may write). */
    function manyProfiles(): string {
      const dir = tempDir('bd-front-many-');
      writeJson(dir, 'default.json', prodProfile());
      for (let i = 0; i < 1500; i++) writeJson(dir, `p${String(i).padStart(4, '0')}.json`, prodProfile({ profile: `p${String(i).padStart(4, '0')}` }));
      writeJson(dir, 'zz.json', prodProfile({ profile: 'zz', benchlingClientSecret: 'not-shown' }), 0o620);
      return dir;
    }

    /**
     * `profiles` into a FIFO opened non-blocking, with stderr too (as in a shell's `2>&1 | ...`)
     * or into a file; nothing is read until the command has met the full pipe
     * (test/fixtures/trace-eagain.cjs says so), then everything is read, or 100 bytes and the reader goes.
     */
    async function throughFullPipe(dir: string, how: 'all' | 'gone', stderrTo: 'pipe' | 'file'): Promise<{ status: number | null; output: string; stderr: string }> {
      const work = tempDir('bd-front-fifo-');
      const fifo = join(work, 'out');
      const traced = join(work, 'eagain');
      execFileSync('mkfifo', [fifo]);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      const errors = openSync(join(work, 'stderr'), 'w');
      const child = spawn(process.execPath, ['-r', TRACE_EAGAIN, BIN, '--config-dir', dir, 'profiles'], {
        env: { ...env, HOME: dir, BD_TRACE_EAGAIN: traced },
        stdio: ['ignore', writer, stderrTo === 'pipe' ? writer : errors],
      });
      closeSync(writer);
      closeSync(errors);
      const alive = () => child.exitCode === null && child.signalCode === null;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const pause = () => new Promise((resolve) => setTimeout(resolve, 10));
      let readerOpen = true;
      try {
        for (const end = Date.now() + 8_000; !existsSync(traced); await pause()) {
          if (Date.now() > end || !alive()) throw new Error('the command never met a full pipe');
        }
        const chunks: Buffer[] = [];
        const buffer = Buffer.alloc(65536);
        for (const end = Date.now() + 8_000; ; ) {
          let n: number;
          try {
            n = readSync(reader, buffer, 0, how === 'gone' ? 100 : buffer.length, null);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
            if (Date.now() > end) throw new Error('the command stopped writing');
            await pause();
            continue;
          }
          if (n === 0) break;
          chunks.push(Buffer.from(buffer.subarray(0, n)));
          if (how === 'gone') break;
        }
        closeSync(reader);
        readerOpen = false;
        const status = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the command did not end')), 8_000))]);
        return { status, output: Buffer.concat(chunks).toString('utf8'), stderr: readFileSync(join(work, 'stderr'), 'utf8') };
      } finally {
        if (readerOpen) closeSync(reader);
        if (alive()) child.kill('SIGKILL');
      }
    }

    it('everything arrives, stdout and stderr in the order written, as through a blocking pipe', async () => {
      const dir = manyProfiles();
      const plain = spawnSync('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)} profiles 2>&1`], { env: { ...env, HOME: dir }, encoding: 'utf8', timeout: 10_000 });
      expect(plain.stdout.length).toBeGreaterThan(80_000);
      expect(plain.stdout.trimEnd().split('\n').at(-1)).toMatch(/^warning: .*zz\.json/);
      expect(await throughFullPipe(dir, 'all', 'pipe')).toEqual({ status: plain.status, output: plain.stdout, stderr: '' });
    });

    it('a reader that goes away while the command waits on the full pipe: exit 0, and stderr says only what it would have said', async () => {
      const dir = manyProfiles();
      const plain = spawnSync(process.execPath, [BIN, '--config-dir', dir, 'profiles'], { env: { ...env, HOME: dir }, encoding: 'utf8', timeout: 10_000 });
      expect(plain.stderr).toMatch(/^warning: .*zz\.json/);
      const ran = await throughFullPipe(dir, 'gone', 'file');
      expect(ran.output).toMatch(/^PROFILE +ENV/);
      expect({ status: ran.status, stderr: ran.stderr }).toEqual({ status: 0, stderr: plain.stderr });
    });
  });
});

describe('a broken installation', () => {
  /** The one line a missing file of dist/ gives, whichever bundle missed it (src/broken-install.ts brokenInstallation). */
  const brokenLine = (file: string) =>
    new RegExp(`^benchling-deploy: dist/${file.replace('.', '\\.')} could not be loaded \\(Cannot find module [^\\n]*${file.replace('.', '\\.')}[^\\n]*\\); reinstall benchling-deploy, or in a clone run \`npm run build\` \\(npm ci builds it\\)\\.\\n$`);

  function runCopy(bin: string, args: string[]) {
    const env = { PATH: process.env.PATH, HOME: tempDir('bd-front-home-'), CI: 'true', NO_COLOR: '1' };
    return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  }

  it('without dist/front.cjs the bin says which file and how to mend it: one line, exit 1', () => {
    const copy = copyOfBuild((name) => name !== 'front.cjs' && !name.endsWith('.map'));
    const r = runCopy(copy.bin, ['--version']);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
    expect(r.stderr).toMatch(brokenLine('front.cjs'));
  });

  it.each([
    ['dist/cli.js', () => 'cli.js'],
    // The first chunk cli.js imports, and the chunk of the program it imports once it runs.
    ['a chunk cli.js imports', () => /import(?:[^;]*?from)?"\.\/(chunk-[A-Z0-9]+\.js)"/.exec(readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8'))![1]!],
    ['the program\'s chunk', () => /import\("\.\/(program-[A-Z0-9]+\.js)"\)/.exec(readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8'))![1]!],
  ])('without %s, a command of the ESM bundle says which file and how to mend it: one line, exit 1', (_what, missing) => {
    const file = missing();
    const copy = copyOfBuild((name) => name !== file && !name.endsWith('.map'));
    // The packages the ESM bundle requires, where an installation has them.
    symlinkSync(join(ROOT, 'node_modules'), join(copy.dist, '..', 'node_modules'));
    const r = runCopy(copy.bin, ['history', '--config-dir', tempDir('bd-front-config-')]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
    expect(r.stderr).toMatch(brokenLine(file));
  });

  it("the same in a folder whose name holds a quote (o'neil)", () => {
    const copy = copyOfBuild((name) => name !== 'cli.js' && !name.endsWith('.map'));
    const quoted = join(tempDir('bd-front-quoted-'), "o'neil");
    renameSync(dirname(copy.dist), quoted);
    symlinkSync(join(ROOT, 'node_modules'), join(quoted, 'node_modules'));
    const r = runCopy(join(quoted, 'bin', basename(copy.bin)), ['history']);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
    expect(r.stderr).toMatch(brokenLine('cli.js'));
    expect(r.stderr).toContain(`${quoted}/dist/cli.js`);
  });

  it('without a chunk a command imports as it runs (the AWS clients of history), the command says which file and how to mend it: no internal error, no stack, exit 1', () => {
    const history = readdirSync(join(ROOT, 'dist')).find((name) => /^history-[A-Z0-9]+\.js$/.test(name))!;
    const file = /import\("\.\/(aws-clients-[A-Z0-9]+\.js)"\)/.exec(readFileSync(join(ROOT, 'dist', history), 'utf8'))![1]!;
    const copy = copyOfBuild((name) => name !== file && !name.endsWith('.map'));
    symlinkSync(join(ROOT, 'node_modules'), join(copy.dist, '..', 'node_modules'));
    const config = tempDir('bd-front-config-');
    writeJson(config, 'default.json', prodProfile());
    const r = runCopy(copy.bin, ['history', '--config-dir', config]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`dist/${file.replace('.', '\\.')} could not be loaded \\(Cannot find module [^\\n]*\\); reinstall benchling-deploy, or in a clone run \`npm run build\``));
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe("the front's bundles", () => {
  it.each([['front.cjs'], ['light.cjs'], ['checks.cjs'], ['status.cjs'], ['synth.cjs'], ['sdk.cjs'], ['dashboard.cjs']])('%s runs in strict mode: its first statement is the directive', (name) => {
    // A banner before esbuild's directive would leave the top level of the bundle (most of its functions) sloppy;
    // in a bundle written inside the CommonJS wrapper, the first statement of the function.
    const text = readFileSync(join(ROOT, 'dist', name), 'utf8');
    expect(text.startsWith(WRAP_HEAD) ? text.slice(WRAP_HEAD.length).replace(/^\n/, '') : text).toMatch(/^"use strict";/);
  });

  it.each([['synth.cjs'], ['dashboard.cjs']])('%s requires each module of aws-cdk-lib and constructs once and copies its exports once, not once per module that imports it (scripts/require-externals.mjs)', (name) => {
    const text = readFileSync(join(ROOT, 'dist', name), 'utf8');
    const required = [...text.matchAll(/require\("((?:aws-cdk-lib|constructs)(?:\/[\w-]+)*)"\)/g)].map((m) => m[1]);
    expect(required).toContain('aws-cdk-lib');
    expect(new Set(required).size).toBe(required.length);
    expect(text.match(/__reExport\(\w+,require\("(?:aws-cdk-lib|constructs)/g)).toHaveLength(required.length);
    expect(text).not.toMatch(/__toESM\(require_(?:aws_|constructs)/);
  });
});

describe("the front's bundles as text", () => {
  it.each([['front.cjs'], ['light.cjs'], ['checks.cjs'], ['status.cjs'], ['synth.cjs'], ['sdk.cjs'], ['yoga.cjs'], ['dashboard.cjs']])('%s is ASCII: one other character would make V8 hold the whole bundle as two-byte text', (name) => {
    expect(isAscii(readFileSync(join(ROOT, 'dist', name)))).toBe(true);
  });

  it.each([['status.cjs'], ['synth.cjs'], ['sdk.cjs'], ['yoga.cjs'], ['dashboard.cjs']])(
    "%s is written inside Node's CommonJS wrapper, and the front compiles its text as read: not joined to the wrapper, which V8 would copy whole",
    (name) => {
      const text = readFileSync(join(ROOT, 'dist', name), 'latin1');
      expect(text.startsWith(WRAP_HEAD)).toBe(true);
      expect(text.replace(/\n\/\/# sourceMappingURL=\S+\n?$/, '').endsWith(WRAP_TAIL)).toBe(true);
      // In a process of its own: the front's BUNDLE_HEAD is Node's, and compiling the bundle joins nothing to it.
      const code = `const front = require(${JSON.stringify(join(ROOT, 'dist', 'front.cjs'))});
const M = require('node:module'); const wrap = M.wrap; let joined = 0; M.wrap = (s) => (joined++, wrap(s));
const { script } = front.compileBundle(${JSON.stringify(name)});
console.log(JSON.stringify({ head: front.BUNDLE_HEAD, joined, cache: script.cachedDataRejected }));`;
      const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BENCHLING_DEPLOY_USER_CODE_CACHE: 'off' } });
      expect(r.status, r.stderr).toBe(0);
      // The build's cache was made from the same text, so V8 takes it.
      expect(JSON.parse(r.stdout)).toEqual({ head: WRAP_HEAD, joined: 0, cache: false });
    },
  );

  it('a bundle that is not ASCII is decoded as UTF-8: its strings arrive whole', () => {
    const copy = copyOfBuild((name) => ['front.cjs', 'light.cjs'].includes(name));
    writeFileSync(join(copy.dist, 'checks.cjs'), '"use strict";\nexports.runFrontCommand = async () => { process.stdout.write("caf\u00e9 \u2026 \u2514\u2500 \u274C\\n"); };\n', 'utf8');
    const r = spawnSync(process.execPath, [copy.bin, '--config-dir', tempDir('bd-front-config-'), 'validate'], { env: { PATH: process.env.PATH, HOME: tempDir('bd-front-home-'), CI: 'true' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('caf\u00e9 \u2026 \u2514\u2500 \u274C\n');
  });
});

describe("the front's code cache", () => {
  it.each([['light.cjs'], ['checks.cjs'], ['status.cjs'], ['synth.cjs'], ['sdk.cjs'], ['dashboard.cjs']])('%s comes with a V8 code cache this Node accepts (built with it)', (name) => {
    const file = join(ROOT, 'dist', name);
    // The cache file: a magic line, the source's and the data's lengths, the exact source, V8's data.
    const cache = readFileSync(`${file}.cache`);
    const head = 'benchling-deploy front code cache 1\n'.length;
    expect(cache.toString('latin1', 0, head)).toBe('benchling-deploy front code cache 1\n');
    const sourceLength = cache.readUInt32LE(head);
    expect(cache.subarray(head + 8, head + 8 + sourceLength).equals(readFileSync(file))).toBe(true);
    const cachedData = cache.subarray(head + 8 + sourceLength);
    expect(cachedData.length).toBe(cache.readUInt32LE(head + 4));
    // Compiled as the front compiles it: a bundle written inside the CommonJS wrapper as it is.
    const text = readFileSync(file, 'utf8');
    const script = new Script(text.startsWith(WRAP_HEAD) ? text : Module.wrap(text), { filename: file, cachedData });
    expect(script.cachedDataRejected).toBe(false);
  });

  it.each([['light.cjs'], ['checks.cjs'], ['status.cjs'], ['synth.cjs'], ['sdk.cjs'], ['dashboard.cjs']])('the front compiles %s with its cache: V8 takes it', (name) => {
    const script = `const { script } = require(${JSON.stringify(join(ROOT, 'dist', 'front.cjs'))}).loadBundle(${JSON.stringify(name)}); process.stdout.write(String(script.cachedDataRejected));`;
    // A home and a cache folder of its own: no cache of the caller's ~/.cache is taken (nor written) in place of the build's.
    const home = tempDir('bd-front-home-');
    const r = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), CI: 'true' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    // undefined when no cache was given, true when V8 refused it.
    expect(r.stdout).toBe('false');
  });

  it('a bundle edited after its cache was made, to the same length, runs as edited: the cache is not used for it', () => {
    const copy = copyOfBuild((name) => ['front.cjs', 'light.cjs', 'checks.cjs', 'light.cjs.cache', 'checks.cjs.cache'].includes(name));
    const light = join(copy.dist, 'light.cjs');
    const text = readFileSync(light, 'utf8');
    expect(text).toContain('answer yes to confirmations');
    const edited = text.replace('answer yes to confirmations', 'ANSWER YES TO CONFIRMATIONS');
    expect(Buffer.byteLength(edited)).toBe(Buffer.byteLength(text));
    writeFileSync(light, edited);
    const env = { PATH: process.env.PATH, HOME: tempDir('bd-front-home-'), CI: 'true', NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [copy.bin, '--help'], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('ANSWER YES TO CONFIRMATIONS');
    expect(r.stdout).not.toContain('answer yes to confirmations');
  });

  it.each([
    ['a cache V8 refuses', (file: string) => writeFileSync(`${file}.cache`, 'not a code cache')],
    ['a truncated cache', (file: string) => writeFileSync(`${file}.cache`, readFileSync(`${join(ROOT, 'dist', basename(file))}.cache`).subarray(0, 5000))],
    ['a cache of V8 data alone (no source)', (file: string) => writeFileSync(`${file}.cache`, readFileSync(`${join(ROOT, 'dist', basename(file))}.cache`).subarray(-20000))],
    ['no cache', () => {}],
  ])('with %s, the front compiles its bundles from source: the same help and validate', (_what, spoil) => {
    const copy = copyOfBuild((name) => ['front.cjs', 'light.cjs', 'checks.cjs'].includes(name));
    for (const name of ['light.cjs', 'checks.cjs']) spoil(join(copy.dist, name));
    const config = tempDir('bd-front-config-');
    writeJson(config, 'default.json', prodProfile());
    for (const args of [['--help'], ['--config-dir', config, 'validate']]) {
      const env = { PATH: process.env.PATH, HOME: config, CI: 'true', NO_COLOR: '1' };
      const real = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
      const copied = spawnSync(process.execPath, [copy.bin, ...args], { env, encoding: 'utf8' });
      expect(real.status).toBe(0);
      expect({ status: copied.status, stdout: copied.stdout, stderr: copied.stderr }).toEqual({ status: real.status, stdout: real.stdout, stderr: real.stderr });
    }
  });
});

describe("this user's code cache", () => {
  const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  /** A copy of bin/ and dist/ without the build's cache of light.cjs: as a Node other than the builder's finds it. */
  function copyWithoutLightCache(): string {
    return copyOfBuild((name) => ['front.cjs', 'light.cjs', 'checks.cjs', 'checks.cjs.cache'].includes(name)).bin;
  }

  /** `args` (--help) from `bin`, with this user's caches under `xdg`: the output, and what V8 made of light.cjs's cache (or checks.cjs's). */
  function help(bin: string, xdg: string, args = ['--help']) {
    const home = tempDir('bd-front-home-');
    const r = spawnSync(process.execPath, ['--import', TRACE_CACHE, bin, ...args], { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: xdg, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' });
    const cache = /^CODE CACHE \S+\/(?:light|checks)\.cjs (\S+)$/m.exec(r.stderr)?.[1];
    return { status: r.status, stdout: r.stdout, cache, stderr: r.stderr.replace(/^(CODE CACHE|LOADED|PACKAGE) .*\n/gm, '') };
  }

  /** This user's cache files: `<version>-<Node, architecture and flags>-<bundle>.cache`. */
  const cachesIn = (dir: string) => readdirSync(dir).map((f) => f.replace(/^(.+?)-[0-9a-f]{8}-/, '$1-KEY-')).sort();

  const real = () => {
    const home = tempDir('bd-front-home-');
    return spawnSync(process.execPath, [BIN, '--help'], { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' }).stdout;
  };

  /** A copy of the build whose light.cjs cache does not serve, run once so that this user's cache of it exists: its folder and file. */
  function withUserCache() {
    const bin = copyWithoutLightCache();
    const xdg = tempDir('bd-front-xdg-');
    const dir = join(xdg, 'benchling-deploy', 'front');
    help(bin, xdg);
    return { bin, xdg, dir, file: join(dir, readdirSync(dir)[0]) };
  }

  it("when the build's cache does not serve, the first run makes this user's and the runs after take it: the same help", () => {
    const bin = copyWithoutLightCache();
    const xdg = tempDir('bd-front-xdg-');
    const dir = join(xdg, 'benchling-deploy', 'front');
    const first = help(bin, xdg);
    expect(first).toEqual({ status: 0, stdout: real(), cache: 'none', stderr: '' });
    expect(cachesIn(dir)).toEqual([`${VERSION}-KEY-light.cjs.cache`]);
    expect(readFileSync(join(dir, readdirSync(dir)[0])).toString('latin1', 0, 35)).toBe('benchling-deploy user code cache 1\n');
    expect(help(bin, xdg)).toEqual({ status: 0, stdout: real(), cache: 'accepted', stderr: '' });
    // Only what was refused or missing: checks.cjs's build cache served validate, nothing of it written.
    const config = tempDir('bd-front-config-');
    writeJson(config, 'default.json', prodProfile());
    expect(help(bin, xdg, ['--config-dir', config, 'validate'])).toMatchObject({ status: 0, cache: 'accepted', stderr: '' });
    expect(cachesIn(dir)).toEqual([`${VERSION}-KEY-light.cjs.cache`]);
  });

  it('a cache of this user with one byte of its data changed is not used (its checksum), and is made again', () => {
    const { bin, xdg, file } = withUserCache();
    const made = readFileSync(file);
    const damaged = Buffer.from(made);
    damaged[damaged.length - 100] ^= 0x40;
    writeFileSync(file, damaged);
    expect(help(bin, xdg)).toEqual({ status: 0, stdout: real(), cache: 'none', stderr: '' });
    expect(readFileSync(file).equals(damaged)).toBe(false);
    expect(help(bin, xdg).cache).toBe('accepted');
  });

  it("a cache made from another build of the bundle is not used for this one; files a month old go when one is written, newer ones stay", () => {
    const bin = copyWithoutLightCache();
    const xdg = tempDir('bd-front-xdg-');
    const dir = join(xdg, 'benchling-deploy', 'front');
    help(bin, xdg);
    const monthOld = (Date.now() - 31 * 24 * 3600 * 1000) / 1000;
    for (const [name, age] of [['0.0.1-0000abcd-light.cjs.cache', monthOld], ['0.0.2-0000abcd-light.cjs.cache', Date.now() / 1000], ['0.0.1-0000abcd-sdk.cjs.cache.123.tmp', monthOld]] as const) {
      writeFileSync(join(dir, name), 'another version');
      utimesSync(join(dir, name), age, age);
    }
    const light = join(bin, '..', '..', 'dist', 'light.cjs');
    const text = readFileSync(light, 'utf8');
    writeFileSync(light, text.replace('answer yes to confirmations', 'ANSWER YES TO CONFIRMATIONS'));
    const edited = help(bin, xdg);
    expect(edited.cache).toBe('none');
    expect(edited.stdout).toContain('ANSWER YES TO CONFIRMATIONS');
    expect(cachesIn(dir)).toEqual(['0.0.2-KEY-light.cjs.cache', `${VERSION}-KEY-light.cjs.cache`].sort());
    expect(help(bin, xdg).cache).toBe('accepted');
  });

  it('runs with other V8 flags keep a cache of their own: neither takes nor replaces the other', () => {
    const bin = copyWithoutLightCache();
    const xdg = tempDir('bd-front-xdg-');
    const dir = join(xdg, 'benchling-deploy', 'front');
    const flagged = (extra: string[]) => {
      const home = tempDir('bd-front-home-');
      const r = spawnSync(process.execPath, ['--stack-trace-limit=20', ...extra, bin, '--help'], { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: xdg, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' });
      return /^CODE CACHE \S+\/light\.cjs (\S+)$/m.exec(r.stderr)?.[1];
    };
    help(bin, xdg);
    expect(flagged(['--import', TRACE_CACHE])).toBe('none');
    expect(readdirSync(dir)).toHaveLength(2);
    expect(help(bin, xdg).cache).toBe('accepted');
    expect(flagged(['--import', TRACE_CACHE])).toBe('accepted');
  });

  it("a cache file that others may write, or another user's, is not used", () => {
    const { bin, xdg, dir, file } = withUserCache();
    chmodSync(file, 0o666);
    expect(help(bin, xdg).cache).toBe('none');
    // Made again, the user's own.
    expect(statSync(join(dir, readdirSync(dir)[0])).mode & 0o022).toBe(0);
    expect(help(bin, xdg).cache).toBe('accepted');
    chmodSync(dir, 0o777);
    expect(help(bin, xdg).cache).toBe('none');
  });

  it('a FIFO where the cache file goes is not waited on: the command runs at once, compiling', () => {
    const { bin, xdg, file } = withUserCache();
    rmSync(file);
    execFileSync('mkfifo', [file]);
    const home = tempDir('bd-front-home-');
    const r = spawnSync(process.execPath, ['--import', TRACE_CACHE, bin, '--help'], { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: xdg, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8', timeout: 15_000 });
    expect(r.error, 'the command did not end within 15 s').toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(real());
    expect(/^CODE CACHE \S+\/light\.cjs (\S+)$/m.exec(r.stderr)?.[1]).toBe('none');
  });

  it('a cache file that is a link is not followed: not used, and what it points at is left as it was', () => {
    const { bin, xdg, file } = withUserCache();
    // The user's own good cache, elsewhere, and a link to it in its place.
    const elsewhere = linkInPlace(file);
    const before = readFileSync(elsewhere);
    expect(help(bin, xdg).cache).toBe('none');
    expect(readFileSync(elsewhere).equals(before)).toBe(true);
  });

  it('a linked cache folder, or one others may write, is neither read nor written', () => {
    const { bin, xdg, dir } = withUserCache();
    // The folder moved elsewhere (the user's, 0700, its cache in it), and a link left in its place.
    const elsewhere = linkInPlace(dir);
    const before = readdirSync(elsewhere);
    expect(help(bin, xdg).cache).toBe('none');
    expect(readdirSync(elsewhere)).toEqual(before);
    // A folder others may write: not written into (the run after still compiles).
    rmSync(dir);
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o777);
    expect(help(bin, xdg).cache).toBe('none');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a cache folder it cannot write changes nothing but the time', () => {
    const bin = copyWithoutLightCache();
    const notAFolder = join(tempDir('bd-front-xdg-'), 'file');
    writeFileSync(notAFolder, 'x');
    expect(help(bin, notAFolder)).toEqual({ status: 0, stdout: real(), cache: 'none', stderr: '' });
    expect(existsSync(join(notAFolder, 'benchling-deploy'))).toBe(false);
  });
});
