/**
 * Files the user keeps (profiles, deploy.json, its lock, the shared AWS files) read as untrusted
 * input (src/config/untrusted-file.ts): only a plain file, never waiting on what stands there,
 * never reading past a bound.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readUntrustedText, UntrustedFileError } from '../../src/config/untrusted-file.js';
import { UserError } from '../../src/errors.js';
import { bundleScript } from '../helpers/bundle.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

/** What reading `path` threw, or its text. */
function attempt(path: string, maxBytes = 1024): { text?: string; error?: UntrustedFileError | NodeJS.ErrnoException } {
  try {
    return { text: readUntrustedText(path, maxBytes) };
  } catch (error) {
    return { error: error as UntrustedFileError };
  }
}

describe('readUntrustedText', () => {
  it('reads a plain file, and one a link stands for (dotfile managers link them)', () => {
    const dir = tempDir();
    const file = join(dir, 'default.json');
    writeFileSync(file, '{"profile":"default"}');
    symlinkSync(file, join(dir, 'linked.json'));
    expect(readUntrustedText(file, 1024)).toBe('{"profile":"default"}');
    expect(readUntrustedText(join(dir, 'linked.json'), 1024)).toBe('{"profile":"default"}');
    expect(readUntrustedText(file, 21)).toBe('{"profile":"default"}');
  });

  it('refuses a FIFO at once, naming the file (exit status 2), where reading it would wait for a writer forever', () => {
    const fifo = join(tempDir(), 'default.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const { error } = attempt(fifo);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(UntrustedFileError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UntrustedFileError).exitCode).toBe(2);
    expect(error?.message).toBe(`${fifo}: a FIFO (named pipe), not a file`);
    expect((error as UntrustedFileError).found).toBe('FIFO or socket');
  });

  it('reads a device within the bound: /dev/null is empty (AWS_CONFIG_FILE=/dev/null), a link to /dev/zero is refused once past it; a folder is refused', () => {
    const dir = tempDir();
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    mkdirSync(join(dir, 'folder.json'));
    expect(readUntrustedText('/dev/null', 1024)).toBe('');
    const zero = attempt(join(dir, 'zero.json'), 1024 * 1024).error as UntrustedFileError;
    expect(zero.message).toBe(`${join(dir, 'zero.json')}: more than 1 MiB, too big for this file`);
    expect(zero.found).toBe('too big');
    const folder = attempt(join(dir, 'folder.json')).error as UntrustedFileError;
    expect(folder.message).toBe(`${join(dir, 'folder.json')}: a folder, not a file`);
    expect(folder.found).toBe('folder');
  });

  it('refuses a socket (which cannot even be opened), saying what it is', async () => {
    const path = join(tempDir(), 'default.json');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const error = attempt(path).error as UntrustedFileError;
      expect(error.message).toBe(`${path}: a socket, not a file`);
      expect(error.found).toBe('FIFO or socket');
    } finally {
      server.close();
    }
  });

  it('refuses a file over the bound without reading it (one of 16 GiB at once), and one that says it is empty but goes on (as /proc files do) once past it', () => {
    const big = join(tempDir(), 'big.json');
    writeFileSync(big, `{}${' '.repeat(2 * 1024 * 1024)}`);
    const error = attempt(big, 1024 * 1024).error as UntrustedFileError;
    expect(error.message).toBe(`${big}: more than 1 MiB, too big for this file`);
    expect(error.found).toBe('too big');
    // A sparse file: reading it would take minutes and all the memory.
    const huge = join(tempDir(), 'huge.json');
    writeFileSync(huge, '{}');
    truncateSync(huge, 16 * 1024 ** 3);
    const started = Date.now();
    expect((attempt(huge, 1024 * 1024).error as UntrustedFileError).found).toBe('too big');
    expect(Date.now() - started).toBeLessThan(1_000);
    // /proc/self/maps says its size is 0 and holds kilobytes: read to its end within a bound, refused past it.
    expect(attempt('/proc/self/maps', 64 * 1024 * 1024).text).toMatch(/\n/);
    expect((attempt('/proc/self/maps', 16).error as UntrustedFileError).found).toBe('too big');
  });

  it("a missing or unreadable file is the file system's error, as before", () => {
    expect((attempt(join(tempDir(), 'nosuch.json')).error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('what reads the files the user keeps does not wait on a FIFO', () => {
  /** Runs `body` (TypeScript importing the project by absolute path) in a process of its own: on the old code it would hang. */
  async function inProcess(body: string): Promise<string> {
    const script = join(tempDir('bd-untrusted-'), 'run.ts');
    writeFileSync(script, body);
    const r = spawnSync(process.execPath, [await bundleScript(script)], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'it did not end within 10 s').toBeUndefined();
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  }
  const src = (path: string) => JSON.stringify(join(ROOT, path));

  it('the lock: a FIFO at its path is no lock; once 5 s old it is removed and the lock taken', async () => {
    const dir = tempDir();
    const lock = join(dir, 'deploy.json.lock');
    execFileSync('mkfifo', [lock]);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const out = await inProcess(`import { tryLock } from ${src('src/config/lock.ts')};\nconst held = tryLock(${JSON.stringify(lock)}, 'test');\nconsole.log(held ? 'taken' : 'refused');\nheld?.release();\n`);
    expect(out).toBe('taken');
  });

  it('the AWS profile check: a FIFO where the SDK reads its profiles (as AWS_CONFIG_FILE=<(…) gives) is left to the SDK, unread; /dev/null has no profile; a file past the bound is refused', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'config');
    execFileSync('mkfifo', [fifo]);
    const huge = join(dir, 'huge');
    writeFileSync(huge, '[profile ops]\n');
    truncateSync(huge, 65 * 1024 * 1024);
    const check = (config: string) =>
      inProcess(
        `import { assertAwsProfileExists } from ${src('src/state/aws-profile.ts')};\ntry { assertAwsProfileExists('ops', { AWS_CONFIG_FILE: ${JSON.stringify(config)}, AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }, ${JSON.stringify(dir)}); console.log('not refused'); } catch (e) { console.log(e.exitCode, e.message); }\n`,
      );
    expect(await check(fifo)).toBe('not refused');
    expect(await check('/dev/null')).toBe('2 no AWS profile ops in /dev/null (nor in /dev/null)');
    expect(await check(huge)).toBe(`2 ${huge}: more than 64 MiB, too big for this file`);
  });
});
