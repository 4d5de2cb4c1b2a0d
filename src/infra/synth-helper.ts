/**
 * The synth helper: a process of the user's that keeps aws-cdk-lib loaded
 * between `synth` commands, as Gradle's daemon keeps the JVM. Loading
 * aws-cdk-lib is most of a `synth` (its files' bytecode, their top level, the
 * first synthesis's warm-up); a process that has it loaded synthesizes the
 * stack in 50–80 ms. So a `synth` run from a terminal that found no helper
 * starts one when it is done; the next ones read and check the profiles
 * themselves, as always, and hand only the synthesis to the helper.
 *
 * - **Never needed**: a synth that reaches no helper (none running, one still
 *   loading, one of another installation, one that does not take the connection within
 *   {@link ACCEPT_LIMIT_MS}, or any failure to talk to it) synthesizes in its
 *   own process. A helper's answer is checked before use (the template it
 *   names must be the very file this process sees); only a user error (the
 *   output folder refused) is taken as the command's, anything else means
 *   synthesizing here.
 * - **Never stale**: a helper serves one installation (Node, the bundles of
 *   dist/ by path and stamp, the `CDK_`, `JSII_` and `NODE_` variables that
 *   aws-cdk-lib may read as it loads): its socket's name comes from those,
 *   and each request carries their hash. Before each synthesis it stats every
 *   module file it has loaded and ends, answering nothing, if one changed
 *   (aws-cdk-lib upgraded in place).
 * - **The same synthesis**: each request runs with the command's working
 *   folder, file mode mask and the variables a synthesis may read
 *   ({@link requestEnv}), restored after; `synthesizeStack` makes a fresh App
 *   each call. Requests run one at a time (the synthesis is synchronous).
 * - **No secrets**: the profiles go without the client secret (the template
 *   never holds it, as for the dashboard's synth worker), and no variable
 *   named like a secret is sent, kept or hashed.
 * - **The user's alone**: its socket (made 0600) is in the tool's cache folder
 *   (`~/.cache/benchling-deploy/helper`), a folder of the user's that no one
 *   else may enter, reached by its real path, none of whose folders anyone
 *   but the user and root could replace (src/own-files.ts safeAncestry); and
 *   it is used only when it is a socket of the user's. Requests and answers
 *   are JSON, each bounded; an answer is checked field by field.
 * - **Short-lived**: it ends after {@link HELPER_IDLE_MS} with no request,
 *   when its socket is removed or replaced, and on SIGTERM, closing any
 *   connection still open. It writes nothing to any terminal (no standard
 *   streams) and holds no folder but its own.
 * - **Not everywhere**: used nowhere in CI (`CI` set), on Windows, by a
 *   process run with Node options (a profiler, a loader: the helper would not
 *   share them), or with {@link SYNTH_HELPER_SWITCH}`=off`; started only by a
 *   synth whose standard error is a terminal (a person's, not cron's).
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { withoutClientSecrets, type StackProfiles } from '../config/pairing.js';
import { ENVIRONMENTS, type EnvironmentName } from '../config/schema.js';
import { UserError, UserErrors } from '../errors.js';
import { isRunning } from '../config/lock.js';
import { cacheFolder, fileStamp, fnv1a, makeFolderPrivate, OTHERS_ANY, ownFolder, readOwnFile, safeAncestry } from '../own-files.js';

/**
 * Node's modules that only a helper's use needs, loaded at that use: a synth in CI (or with the helper off) loads none
 * of them (node:net would also build nothing of process.stdout's, which the front writes around: bin/output.ts).
 */
const builtin = createRequire(import.meta.url) as <T>(name: string) => T;
const net = () => builtin<typeof import('node:net')>('node:net');

/** `off` (or `0`) keeps every synthesis in the command's own process, and starts no helper. */
export const SYNTH_HELPER_SWITCH = 'BENCHLING_DEPLOY_SYNTH_HELPER';
/** A helper with no request for this long ends (ms). */
export const HELPER_IDLE_MS = 10 * 60_000;
/** A connection that has not sent a whole request this long after it opened is closed (ms). */
const REQUEST_LIMIT_MS = 10_000;
/** How often, at most, a helper looks whether its socket is still the one it made (ms). */
const SOCKET_CHECK_MS = 30_000;
/** Bumped when requests or answers change: a helper of another version is another socket. */
const PROTOCOL = 3;
/** Longer socket paths than this are refused by some systems (sun_path is 104 bytes on macOS). */
const MAX_SOCKET_PATH = 100;
/** The largest request (profiles and an environment) a helper reads (bytes). */
const MAX_REQUEST = 8 * 1024 * 1024;
/** The largest answer a command reads (bytes): a summary, or up to {@link MAX_PROBLEMS} problems of {@link MAX_TEXT}. */
const MAX_ANSWER = 1024 * 1024;
/** The longest text taken from an answer (an error's message or hint, a problem, a path), in characters. */
const MAX_TEXT = 4096;
/** The most problems taken from an answer's user errors. */
const MAX_PROBLEMS = 100;
/**
 * A helper takes a connection by writing one byte at once: one that has not in this long (stopped, or stuck) is left,
 * and the synthesis done in the command's process (ms). A helper busy with another synthesis takes it after that one.
 */
export const ACCEPT_LIMIT_MS = 5_000;
/** A synthesis the helper took that has not answered in this long is given up, and done in the command's process (ms). */
const ANSWER_LIMIT_MS = 120_000;
/** The byte a helper writes as it takes a connection. */
const ACCEPTED = 0x01;
/** Variables aws-cdk-lib (and Node) may read as they load: a helper serves only the same values. */
const LOAD_TIME_VARIABLE = /^(CDK_|JSII_|NODE_)/;
/**
 * The variables a synthesis may read, sent with each request (and a helper starts with): aws-cdk-lib's and Node's,
 * the user's folders, the locale and time zone, colour switches, and the tool's own. Nothing else of the command's
 * environment goes to the helper.
 */
const SYNTH_VARIABLE = /^(CDK_|JSII_|NODE_|XDG_|LC_|BENCHLING_DEPLOY_)|^(HOME|USER|LOGNAME|PATH|TMPDIR|TEMP|TMP|TZ|LANG|LANGUAGE|NO_COLOR|FORCE_COLOR|AWS_REGION|AWS_DEFAULT_REGION)$/;
/** Names of variables that may hold a secret: never sent, kept or hashed, even of the kinds above (NODE_AUTH_TOKEN). */
const SECRET_VARIABLE = /SECRET|TOKEN|PASS|CREDENTIAL|PRIVATE|AUTH|KEY/i;

/** What a synthesis made, as the `synth` command reports it (src/infra/synth.ts SynthesisResult, less the template). */
export interface SynthSummary {
  readonly assemblyDir: string;
  readonly stackName: string;
  readonly templatePath: string;
  readonly environments: readonly EnvironmentName[];
  readonly assets: readonly string[];
  readonly hasAssets: boolean;
  readonly templateBodySize: number;
  readonly bootstrapRequired: boolean;
}

/** Where this installation's helper listens, and the hash its requests carry. */
export interface HelperPlace {
  readonly folder: string;
  readonly socket: string;
  readonly keyHash: string;
}

/** The helper's entry beside the bundles (scripts/build.mjs). */
export const HELPER_ENTRY = 'synth-helper.cjs';

/**
 * This installation's helper (`distDir`: the folder of the bundles), or undefined where none is used: switched off,
 * in CI, on Windows, in a process with Node options, a bundle missing, or a socket path too long.
 */
export function helperPlace(distDir: string, env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): HelperPlace | undefined {
  const off = env[SYNTH_HELPER_SWITCH];
  if (off === 'off' || off === '0') return undefined;
  const ci = env.CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return undefined;
  if (process.platform === 'win32' || execArgv.length > 0 || (env.NODE_OPTIONS ?? '').trim() !== '') return undefined;
  let dist: string;
  const stamps: string[] = [];
  try {
    dist = realpathSync(distDir);
    for (const name of ['front.cjs', 'synth.cjs', HELPER_ENTRY, 'synth-modules.cjs']) {
      const stamp = stampOf(join(dist, name));
      if (stamp === undefined) return undefined;
      stamps.push(`${name}:${stamp}`);
    }
  } catch {
    return undefined;
  }
  const loadTime = Object.keys(env)
    .filter((k) => LOAD_TIME_VARIABLE.test(k) && !SECRET_VARIABLE.test(k))
    .sort()
    .map((k) => [k, env[k]]);
  const key = JSON.stringify([PROTOCOL, process.execPath, process.version, process.arch, dist, stamps, loadTime]);
  const keyHash = builtin<typeof import('node:crypto')>('node:crypto').createHash('sha256').update(key).digest('hex');
  const folder = cacheFolder('helper', env);
  const socket = join(folder, `synth-${fnv1a(key)}.sock`);
  if (socket.length > MAX_SOCKET_PATH) return undefined;
  return { folder, socket, keyHash };
}

/** A file's stamp (src/own-files.ts fileStamp); undefined when it cannot be stat'ed. */
function stampOf(path: string): string | undefined {
  try {
    return fileStamp(statSync(path, { bigint: true }));
  } catch {
    return undefined;
  }
}

/** The environment a request carries (and a helper starts with): the variables a synthesis may read, none named like a secret. */
export function requestEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && SYNTH_VARIABLE.test(k) && !SECRET_VARIABLE.test(k)) out[k] = v;
  return out;
}

/**
 * The helper's socket as a command reaches it, with its inode: through the real path of its folder, a folder of the
 * user's that no one else may enter and that no one but the user and root could replace (nor any folder above it: see
 * {@link safeAncestry}), a socket of the user's there. Undefined otherwise: the only kind a command talks to.
 */
function reachableSocket(place: HelperPlace): { path: string; ino: number } | undefined {
  try {
    const folder = realpathSync(place.folder);
    const path = trustedSocketPath(place, folder);
    if (path === undefined || !ownFolder(folder, OTHERS_ANY)) return undefined;
    const st = lstatSync(path, { throwIfNoEntry: false });
    const uid = process.getuid?.();
    if (st === undefined || !st.isSocket() || (uid !== undefined && st.uid !== uid)) return undefined;
    return { path, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** The socket's path by `realFolder`, the real path of its folder, when no one else could replace that or a folder above it, and the path is not too long for a socket. */
function trustedSocketPath(place: HelperPlace, realFolder: string): string | undefined {
  const path = join(realFolder, basename(place.socket));
  return path.length <= MAX_SOCKET_PATH && safeAncestry(realFolder) ? path : undefined;
}

/** One message: its length (4 bytes, big-endian), then its JSON (no sparse arrays, no types but JSON's). */
function frame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/**
 * Reads from `socket`: the accepted byte first when `accepted` is asked (`onAccepted` is called as it comes), then
 * the first whole message. Rejects on another first byte, a message over `max` bytes, a close before one, or an error.
 * The message's chunks are joined once, when it is whole.
 */
function readFrame(socket: Socket, max: number, accepted?: { onAccepted(): void }): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let length: number | undefined;
    let waitingForAccept = accepted !== undefined;
    const done = (error: Error | undefined, value?: unknown) => {
      socket.off('data', onData).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolvePromise(value);
    };
    const onData = (chunk: Buffer) => {
      if (waitingForAccept) {
        if (chunk[0] !== ACCEPTED) return done(new Error('the helper did not take the connection'));
        waitingForAccept = false;
        chunk = chunk.subarray(1);
        accepted!.onAccepted();
      }
      chunks.push(chunk);
      size += chunk.length;
      if (size < 4) return;
      if (length === undefined) {
        chunks = [Buffer.concat(chunks, size)];
        length = chunks[0]!.readUInt32BE(0);
        if (length > max) return done(new Error(`a message of ${length} bytes, over ${max}`));
      }
      if (size < 4 + length) return;
      try {
        done(undefined, JSON.parse(Buffer.concat(chunks, size).subarray(4, 4 + length).toString('utf8')) as unknown);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onError = (error: Error) => done(error);
    const onClose = () => done(new Error('closed before a whole message'));
    socket.on('data', onData).on('error', onError).on('close', onClose);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the helper answered, once checked: a synthesis, or the user error it met; undefined for anything else. */
export type HelperOutcome = { readonly ok: true; readonly summary: SynthSummary } | { readonly ok: false; readonly error: UserError };

/** A file's device and inode, as a helper names the template it wrote and a command checks it sees that very file. */
export function fileIdentity(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * The answer checked as untrusted: a summary of the assembly at `target` (a folder made since `earlier`, the identity
 * {@link fileIdentity} it had before the request, undefined when there was none; its template inside it and the very
 * file this process sees there; known environments, sizes that are sizes, texts and lists of bounded length), or a
 * user error with its words; anything else (stale, a failure, a malformed answer, a helper that wrote into another file
 * system's view of the path, an assembly that was there before) is undefined.
 */
export function checkAnswer(answer: unknown, target: string, earlier?: string): HelperOutcome | undefined {
  try {
    return checkedAnswer(answer, target, earlier);
  } catch {
    return undefined;
  }
}

function checkedAnswer(answer: unknown, target: string, earlier: string | undefined): HelperOutcome | undefined {
  if (!isRecord(answer)) return undefined;
  const text = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
  if (answer.ok === true && isRecord(answer.summary)) {
    const s = answer.summary;
    const inside = (p: unknown) => text(p) && isAbsolute(p) && !relative(target, p).startsWith('..') && relative(target, p) !== '' && !isAbsolute(relative(target, p));
    const names = (v: unknown) => Array.isArray(v) && v.length <= 1000 && v.every((x) => text(x));
    const size = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (s.assemblyDir !== target || !inside(s.templatePath) || typeof s.stackName !== 'string' || s.stackName.length === 0 || s.stackName.length > 128) return undefined;
    const environments = s.environments;
    if (!Array.isArray(environments) || environments.length === 0 || environments.length > ENVIRONMENTS.length || !environments.every((e) => (ENVIRONMENTS as readonly unknown[]).includes(e))) return undefined;
    if (!names(s.assets) || typeof s.hasAssets !== 'boolean' || s.hasAssets !== (s.assets as unknown[]).length > 0 || !size(s.templateBodySize) || typeof s.bootstrapRequired !== 'boolean') return undefined;
    if (typeof answer.template !== 'string' || answer.template !== fileIdentity(s.templatePath as string)) return undefined;
    // A synthesis replaces the folder with one it made (src/infra/synth.ts): the one there before the request is no answer.
    const now = fileIdentity(target);
    if (now === undefined || now === earlier) return undefined;
    const summary: SynthSummary = {
      assemblyDir: target,
      stackName: s.stackName,
      templatePath: s.templatePath as string,
      environments: [...(s.environments as EnvironmentName[])],
      assets: [...(s.assets as string[])],
      hasAssets: s.hasAssets,
      templateBodySize: s.templateBodySize as number,
      bootstrapRequired: s.bootstrapRequired,
    };
    return { ok: true, summary };
  }
  if (answer.ok === false && (answer.kind === 'user' || answer.kind === 'users') && text(answer.message)) {
    if (answer.hint !== undefined && !text(answer.hint)) return undefined;
    const hint = answer.hint;
    if (answer.kind === 'users' && Array.isArray(answer.problems) && answer.problems.length > 0) {
      if (answer.problems.length > MAX_PROBLEMS || !answer.problems.every((p) => text(p))) return undefined;
      return { ok: false, error: new UserErrors(answer.problems as string[], hint) };
    }
    return { ok: false, error: new UserError(answer.message, hint) };
  }
  return undefined;
}

/**
 * Sends one request to the helper at `place` and reads its answer; undefined when there is no helper to reach (no
 * socket, not the user's, refused), it does not take the connection within {@link ACCEPT_LIMIT_MS}, or it fails or
 * ends before answering within `limitMs` of taking it.
 */
async function ask(place: HelperPlace, request: Record<string, unknown>, limitMs: number): Promise<unknown> {
  const reached = reachableSocket(place);
  if (reached === undefined) return undefined;
  const socket = net().connect(reached.path);
  // A late error (a write after the helper closed) is the request's failure, reported by readFrame or not at all.
  socket.on('error', () => {});
  let notTaken = false;
  let timer = setTimeout(() => {
    notTaken = true;
    socket.destroy(new Error(`not taken in ${ACCEPT_LIMIT_MS} ms`));
  }, ACCEPT_LIMIT_MS);
  try {
    await new Promise<void>((resolvePromise, reject) => {
      socket.once('connect', resolvePromise).once('error', reject);
    });
    const answer = readFrame(socket, MAX_ANSWER, {
      onAccepted() {
        clearTimeout(timer);
        timer = setTimeout(() => socket.destroy(new Error(`no answer in ${limitMs} ms`)), limitMs);
      },
    });
    socket.write(frame({ protocol: PROTOCOL, keyHash: place.keyHash, ...request }));
    return await answer;
  } catch {
    // A helper that did not take the connection (stopped, stuck) is set aside: its socket removed, it ends when it
    // looks, and the next synth at a terminal starts another rather than waiting for this one each time.
    if (notTaken) removeSocket(reached);
    return undefined;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** Removes the socket `reached` named, when it is still that socket (not one a new helper made since). */
function removeSocket(reached: { path: string; ino: number }): void {
  try {
    if (lstatSync(reached.path, { throwIfNoEntry: false })?.ino === reached.ino) rmSync(reached.path, { force: true });
  } catch {
    // Left: the next synth waits for it once more.
  }
}

export interface SynthRequest {
  readonly profiles: StackProfiles;
  /** Absolute: where the assembly goes. */
  readonly outDir: string;
}

/** The synthesis done by this installation's helper, or undefined when it must be done here (see {@link checkAnswer}). */
export async function synthByHelper(place: HelperPlace, request: SynthRequest, env: NodeJS.ProcessEnv = process.env): Promise<HelperOutcome | undefined> {
  const target = resolve(request.outDir);
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    // The working folder is gone: nothing to run the synthesis in but this process.
    return undefined;
  }
  const earlier = fileIdentity(target);
  const answer = await ask(place, { op: 'synth', cwd, umask: process.umask(), env: requestEnv(env), profiles: withoutClientSecrets(request.profiles), outDir: target }, ANSWER_LIMIT_MS);
  return checkAnswer(answer, target, earlier);
}

/** What a helper says of itself: its process, the syntheses it has done, and the user errors it has answered. */
export interface HelperState {
  readonly pid: number;
  readonly served: number;
  readonly userErrors: number;
  /** The last failure that was not the user's: `stale: FILE` or `failed: MESSAGE`. */
  readonly problem?: string;
}

/** The state of the helper at `place` (for tests and benches), or undefined when none answers. */
export async function helperState(place: HelperPlace, limitMs = 5_000): Promise<HelperState | undefined> {
  const answer = await ask(place, { op: 'state' }, limitMs);
  if (!isRecord(answer) || !Number.isSafeInteger(answer.pid) || !Number.isSafeInteger(answer.served) || !Number.isSafeInteger(answer.userErrors)) return undefined;
  const problem = typeof answer.problem === 'string' ? { problem: answer.problem } : {};
  return { pid: answer.pid as number, served: answer.served as number, userErrors: answer.userErrors as number, ...problem };
}

/**
 * Starts this installation's helper (`distDir`/{@link HELPER_ENTRY}), detached: its own session, no standard
 * streams, the folder of its socket as its working folder, the variables a synthesis may read ({@link requestEnv}).
 * Does nothing when the folder cannot be made the user's alone, or others could replace it; a helper already there
 * ends at once. The helper's own door to a process: it outlives the command, so it is not the runner's
 * (src/infra/runner.ts, cdk's, which ends with it).
 */
export function startSynthHelper(place: HelperPlace, distDir: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    mkdirSync(place.folder, { recursive: true, mode: 0o700 });
    // A folder no one else may enter (one the user opened up is closed) and no one else could replace: one no command
    // would reach (see reachableSocket) starts no helper either.
    if (!makeFolderPrivate(place.folder) || trustedSocketPath(place, realpathSync(place.folder)) === undefined) return;
    const mark = startingMark(place.socket);
    if (!claimStart(mark)) return;
    const child = builtin<typeof import('node:child_process')>('node:child_process').spawn(process.execPath, [join(distDir, HELPER_ENTRY), place.socket, place.keyHash, String(HELPER_IDLE_MS)], {
      detached: true,
      stdio: 'ignore',
      cwd: place.folder,
      env: requestEnv(env),
    });
    child.on('error', () => {});
    child.unref();
    if (child.pid !== undefined) writeFileSync(mark, String(child.pid));
  } catch {
    // No helper: the next synth runs alone too.
  }
}

/**
 * A helper starting (loading, not listening yet): `<socket>.starting`, made by the command that starts it and holding
 * the helper's process id, removed by the helper once it listens (or finds another listening). A synth that finds
 * one starts no helper of its own: two synths at a terminal in quick succession load aws-cdk-lib once.
 */
export function startingMark(socket: string): string {
  return `${socket}.starting`;
}

/** A mark older than this is no start in progress (a helper loads in seconds), whatever process its id names now (ms). */
const STARTING_STALE_MS = 60_000;
/** A mark this young with no process id yet is being written by the command that made it (ms). */
const STARTING_UNWRITTEN_MS = 5_000;

/**
 * Makes the starting mark, new (`wx`): true when this command starts the helper. One there already is another start
 * in progress, unless its helper's process has ended (or it holds none and is not new) or it is older than a start
 * takes: then it is removed and made once more.
 */
function claimStart(mark: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(mark, 'wx', 0o600));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    const st = lstatSync(mark, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (!st.isFile()) return false;
    const pid = Number(markedPid(mark));
    const age = Date.now() - st.mtimeMs;
    const starting = Number.isSafeInteger(pid) && pid > 0 ? isRunning(pid) && age < STARTING_STALE_MS : age < STARTING_UNWRITTEN_MS;
    if (starting) return false;
    rmSync(mark, { force: true });
  }
  return false;
}

/** The process id a starting mark holds, as the tool's own small file (src/own-files.ts readOwnFile: the user's, not a link, no wait); '' when it holds none it could read. */
function markedPid(mark: string): string {
  return readOwnFile(mark, 32)?.data.toString('latin1').trim() ?? '';
}

/** Removes the starting mark when it names this process (the helper, listening or ending). */
function clearStartingMark(socket: string): void {
  const mark = startingMark(socket);
  try {
    if (markedPid(mark) === String(process.pid)) rmSync(mark, { force: true });
  } catch {
    // Left: stale once this process ends.
  }
}

/** The environment, working folder and file mode mask of a request, for the time of `run`; the helper's own put back after. */
export function withRequestContext<T>(env: Readonly<Record<string, string>>, cwd: string, umask: number, run: () => T): T {
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const replace = (next: Readonly<Record<string, string | undefined>>) => {
    for (const k of Object.keys(process.env)) if (!Object.hasOwn(next, k)) delete process.env[k];
    for (const [k, v] of Object.entries(next)) if (v !== undefined) process.env[k] = v;
  };
  // First, alone: a folder that is gone throws with nothing changed yet.
  process.chdir(cwd);
  const savedUmask = process.umask(umask);
  try {
    replace(env);
    return run();
  } finally {
    replace(savedEnv);
    process.umask(savedUmask);
    process.chdir(savedCwd);
  }
}

/** Each module file this process has loaded, with its stamp when first seen: `changed()` names the first whose stamp moved since. */
export function moduleFiles(cache: Record<string, unknown> = (Module as unknown as { _cache: Record<string, unknown> })._cache): { changed(): string | undefined } {
  const seen = new Map<string, string | undefined>();
  return {
    changed() {
      for (const file of Object.keys(cache)) {
        if (!file.startsWith(sep) && !/^[A-Za-z]:\\/.test(file)) continue;
        const now = stampOf(file);
        if (!seen.has(file)) seen.set(file, now);
        else if (seen.get(file) !== now) return file;
      }
      return undefined;
    },
  };
}

export interface HelperOptions {
  readonly socket: string;
  readonly keyHash: string;
  readonly idleMs: number;
  /**
   * Loads the synthesis (aws-cdk-lib with it), before the helper listens: loading blocks its event loop (modules load
   * synchronously), so a command that came meanwhile would wait for it; until it listens, commands synthesize alone.
   */
  readonly load: () => Promise<(profiles: StackProfiles, outDir: string) => SynthSummary>;
  /** What tells it that code it loaded changed (looked at once loaded, then before each synthesis). Default: {@link moduleFiles} of this process. */
  readonly files?: { changed(): string | undefined };
}

/** Why a helper stopped: idle, its socket gone or another's (also when found so as it stopped for another reason), its code changed, SIGTERM; or it never listened (another helper answers there). */
export type HelperEnd = 'idle' | 'socket' | 'stale' | 'signal' | 'not listening';

/**
 * Serves syntheses at `socket` until idle for `idleMs`, its socket is gone or another's, a module file it loaded
 * changes, or SIGTERM; then closes every connection still open. Resolves once it has stopped, with why.
 */
export async function serveSynthHelper(options: HelperOptions): Promise<HelperEnd> {
  const { socket: path, keyHash, idleMs } = options;
  let served = 0;
  let userErrors = 0;
  const connections = new Set<Socket>();
  const synthesize = await options.load();
  const files = options.files ?? moduleFiles();
  files.changed();
  /** The last failure that was not the user's (a stale module, a bug in the synthesis), for tests and benches: in its state. */
  let problem: string | undefined;
  const server: Server = net().createServer({ allowHalfOpen: false }, (conn) => void answer(conn));
  // Its socket's inode, as it was made (a socket another helper puts in its place later is not its own).
  const ino = await listenOnce(server, path);
  clearStartingMark(path);
  if (ino === undefined) return 'not listening';
  let end: HelperEnd | undefined;
  const closed = new Promise<void>((resolvePromise) => server.once('close', resolvePromise));
  const onSignal = () => stop('signal');
  process.once('SIGTERM', onSignal);
  let idle = setTimeout(() => stop('idle'), idleMs);
  // Chained, so that two checks never overlap; at least four times an idle time, so that a short-lived helper (a test's) sees its socket go before it idles out.
  let check: NodeJS.Timeout;
  const checkSocket = () => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined || st.ino !== ino) stop('socket');
    else check = setTimeout(checkSocket, Math.min(SOCKET_CHECK_MS, Math.ceil(idleMs / 4))).unref();
  };
  check = setTimeout(checkSocket, Math.min(SOCKET_CHECK_MS, Math.ceil(idleMs / 4))).unref();

  function stop(why: HelperEnd): void {
    if (end !== undefined) return;
    // Its socket removed meanwhile (the cache folder cleared, then SIGTERM): said as such, so nothing is written there again.
    let ours = false;
    try {
      ours = lstatSync(path, { throwIfNoEntry: false })?.ino === ino;
    } catch {
      // Not reachable: not ours.
    }
    end = ours ? why : 'socket';
    clearTimeout(idle);
    clearTimeout(check);
    process.off('SIGTERM', onSignal);
    server.close();
    for (const conn of connections) conn.destroy();
    if (ours) {
      try {
        rmSync(path, { force: true });
      } catch {
        // Not ours to remove after all.
      }
    }
  }

  async function answer(conn: Socket): Promise<void> {
    connections.add(conn);
    conn.once('close', () => connections.delete(conn));
    conn.on('error', () => {});
    // Taken: the command now waits for the answer, not for the helper to notice it.
    conn.write(Buffer.from([ACCEPTED]));
    // A command sends its request at once: a connection that has not sent it in time is not held open.
    const limit = setTimeout(() => conn.destroy(), REQUEST_LIMIT_MS);
    let request: unknown;
    try {
      request = await readFrame(conn, MAX_REQUEST);
    } catch {
      conn.destroy();
      return;
    } finally {
      clearTimeout(limit);
    }
    if (end !== undefined || conn.destroyed || !isRecord(request) || request.protocol !== PROTOCOL || request.keyHash !== keyHash) {
      conn.end(frame({ ok: false, kind: 'refused' }));
      return;
    }
    clearTimeout(idle);
    idle = setTimeout(() => stop('idle'), idleMs);
    if (request.op === 'state') {
      conn.end(frame({ pid: process.pid, served, userErrors, ...(problem !== undefined ? { problem } : {}) }));
      return;
    }
    const umask = request.umask;
    if (request.op !== 'synth' || !isRecord(request.env) || typeof request.cwd !== 'string' || typeof umask !== 'number' || !Number.isInteger(umask) || umask < 0 || umask > 0o777 || typeof request.outDir !== 'string' || !isAbsolute(request.outDir) || !isRecord(request.profiles)) {
      conn.end(frame({ ok: false, kind: 'refused' }));
      return;
    }
    const changed = files.changed();
    if (changed !== undefined) {
      // aws-cdk-lib (or another module) changed under this process: it would synthesize with the old code.
      problem = `stale: ${changed}`;
      conn.end(frame({ ok: false, kind: 'stale', file: changed }));
      stop('stale');
      return;
    }
    const env = Object.fromEntries(Object.entries(request.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const outDir = request.outDir;
    const profiles = request.profiles as unknown as StackProfiles;
    let reply: Record<string, unknown>;
    try {
      const summary = withRequestContext(env, request.cwd, umask, () => synthesize(profiles, outDir));
      served++;
      reply = { ok: true, summary, template: fileIdentity(summary.templatePath) };
    } catch (error) {
      if (error instanceof UserError) userErrors++;
      if (error instanceof UserErrors) reply = { ok: false, kind: 'users', message: error.message, problems: error.problems, hint: error.hint };
      else if (error instanceof UserError) reply = { ok: false, kind: 'user', message: error.message, hint: error.hint };
      else {
        problem = `failed: ${String(error instanceof Error ? error.message : error).slice(0, 500)}`;
        reply = { ok: false, kind: 'other' };
      }
    }
    conn.end(frame(reply));
  }

  await closed;
  return end ?? 'idle';
}

/**
 * Listens at `path`, unless another helper answers there: bound under a name of this process's in the same folder,
 * made 0600, then renamed to `path` (over a stale socket nothing answers at). Closing the server later removes only
 * the name it was bound to: a helper set aside (its socket removed by a command it did not answer) that wakes and
 * stops never removes the socket of the one that took its place. The socket's inode; undefined when it does not listen.
 */
async function listenOnce(server: Server, path: string): Promise<number | undefined> {
  const bound = join(dirname(path), `.${process.pid.toString(36)}.new`);
  try {
    rmSync(bound, { force: true });
  } catch {
    return undefined;
  }
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolvePromise) => {
    server.once('error', resolvePromise);
    // The socket is made as listen is called: 0600 whatever the mask of the terminal that started the helper.
    const mask = process.umask(0o077);
    try {
      server.listen(bound, () => {
        server.off('error', resolvePromise);
        resolvePromise(undefined);
      });
    } finally {
      process.umask(mask);
    }
  });
  if (error !== undefined) return undefined;
  const answered = await new Promise<boolean>((resolvePromise) => {
    const probe = net().connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolvePromise(true);
    });
    probe.once('error', () => resolvePromise(false));
  });
  try {
    if (answered) throw new Error('another helper answers there');
    // Said again, as listen made it: the user's alone to connect to.
    chmodSync(bound, 0o600);
    const { ino } = lstatSync(bound);
    renameSync(bound, path);
    return ino;
  } catch {
    // Closing removes the name it is bound to.
    server.close();
    return undefined;
  }
}

/**
 * Closes the descriptors this process inherited that are not to be passed on (Linux: above 2, without close-on-exec;
 * all of Node's own have it): a helper started by a command whose parent gave it more (a harness's pipe) would hold
 * them open, and that parent, waiting for their end, would wait for the helper's. Elsewhere, none.
 */
export function closeInheritedDescriptors(): number {
  if (process.platform !== 'linux') return 0;
  let closed = 0;
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return 0;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isSafeInteger(fd) || fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
      // O_CLOEXEC: 02000000.
      if (flags === null || (parseInt(flags[1]!, 8) & 0o2000000) !== 0) continue;
      closeSync(fd);
      closed++;
    } catch {
      // Gone (the listing's own), or not to be closed.
    }
  }
  return closed;
}
