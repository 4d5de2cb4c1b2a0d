import type { Command } from 'commander';
import { join } from 'node:path';
import { ExternalError, UserError } from '../../src/errors.js';
import { deployRecordPath } from '../../src/config/paths.js';
import { resolveStackProfiles, resolveTarget, type DeployTarget, type StackProfiles } from '../../src/config/pairing.js';
import { ENVIRONMENTS, isImageReference, type EnvironmentName, type ResolvedProfile } from '../../src/config/schema.js';
import { loadDeployRecords, markDestroyed, lockPathFor } from '../../src/state/deploy-records.js';
import { acquireLock } from '../../src/config/lock.js';
import { checkEndpoint, findEndpoint } from '../../src/state/endpoint-check.js';
import { afterCancel } from '../../src/state/health.js';
import type { DeployOutcome, DeployPlan, Synthesizer } from '../../src/infra/deploy.js';
import { resourceLabel } from '../../src/infra/cdk-output.js';
import { confirmationWord, decidePromoteFor, deployAwsFor, noRollbackError, planConfirmationWord, planRows, prodUpdateRefusal, promoteRows, replacementRefusal, replacesServing, rollbackEntry, rollbackRequest, synthesizeStackLazily, updatesProd, type OperationKind } from '../../src/infra/operations.js';
import { displayLine } from '../../src/display-text.js';
import { action, configDirOf, globalsOf, isInteractive, print, printError, printJson, warn, type Globals } from '../context.js';
import { loadProfiles } from '../load-profiles.js';
import { checkProfileName } from '../../src/config/store.js';
import { teamFor } from '../team.js';
import { askTyped, askYesNo } from '../prompt.js';

// A plan of unchanged profiles (`diff`, then `deploy`) reuses the assembly synthesized before;
// the cache (and node:crypto) loads with the first plan, not with every command.
const synth: Synthesizer = async (profiles, outDir, options) => (await import('../../src/infra/assembly-cache.js')).withAssemblyCache(synthesizeStackLazily)(profiles, outDir, options);

function awsFor(target: DeployTarget, g: Globals) {
  return deployAwsFor(target, g.awsProfile);
}

/** Team mode on the command's clients: the account's records and lock, notices on stderr. */
export function commandTeam(target: Pick<DeployTarget, 'place'>, recordsPath: string, aws: Awaited<ReturnType<typeof awsFor>>) {
  return teamFor(target.place, recordsPath, aws.parameters, async () => (await aws.callerIdentity()).arn, (line) => warn(line));
}

function targetFor(g: Globals, environment: EnvironmentName | undefined, profile?: string): { target: DeployTarget; configDir: string; recordsPath: string } {
  const configDir = configDirOf(g);
  if (profile !== undefined) checkProfileName(profile, '--profile');
  if (!environment && !profile) throw new UserError('--environment: required (dev or prod)');
  const target = resolveTarget(loadProfiles(configDir), { environment, profile, region: g.region });
  return { target, configDir, recordsPath: deployRecordPath(configDir) };
}

/**
 * ctrl-c, SIGTERM and SIGHUP (the terminal closed) for a whole command that
 * may run cdk: the first cancels (cdk is stopped cleanly, the lock released,
 * deploy.json untouched); a second one kills every cdk at once and exits.
 */
function commandSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = async () => {
    if (!controller.signal.aborted) {
      process.stderr.write('\ncancelling: stopping cdk… (again to force)\n');
      controller.abort();
      return;
    }
    const { killLiveCdk } = await import('../../src/infra/runner.js');
    killLiveCdk('SIGKILL');
    process.stderr.write('forced: cdk killed\n');
    process.exit(130);
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

function cancelledBeforeRun(): ExternalError {
  return new ExternalError('cancelled; nothing was changed');
}

function printRows(rows: readonly { label: string; value: string }[]): void {
  for (const r of rows) print(`  ${r.label.padEnd(9)} ${displayLine(r.value, 1000)}`);
}

function printPlan(plan: DeployPlan, title = 'deploy'): void {
  print(`${title}: ${plan.environment}`);
  printRows(planRows(plan));
}

async function showDiff(plan: DeployPlan, signal: AbortSignal): Promise<void> {
  const { diffPlan } = await import('../../src/infra/deploy.js');
  try {
    const changes = await diffPlan(plan, signal);
    print('  changes');
    if (changes.length === 0) print('    (no resource changes besides parameters)');
    for (const line of changes) print(`    ${line}`);
  } catch (error) {
    print(`  changes   could not be computed: ${displayLine((error as Error).message, 1000)}${error instanceof ExternalError && error.hint ? ` (${displayLine(error.hint)})` : ''}`);
  }
}

/** Asks, or refuses when it cannot ask. `word`: what must be typed (prod confirmations); else y/N. */
async function confirm(g: Globals, opts: { yes?: boolean }, question: string, word: string | null): Promise<void> {
  if (g.yes || opts.yes) return;
  if (!isInteractive()) throw new UserError('not confirmed: there is no terminal to ask on and --yes was not given; nothing was changed', 'add --yes to confirm in scripts and CI');
  const ok = word ? await askTyped(`${question} Type "${word}" to confirm: `, word) : await askYesNo(`${question} [y/N] `);
  if (!ok) throw new ExternalError('not confirmed; nothing was changed');
}

/** Runs a prepared plan with progress lines; returns the exit status. */
async function execute(plan: DeployPlan, aws: Awaited<ReturnType<typeof awsFor>>, signal: AbortSignal): Promise<number> {
  const { executeDeploy } = await import('../../src/infra/deploy.js');
  print(`cdk output: ${plan.logFile}`);
  const outcome: DeployOutcome = await executeDeploy(plan, aws, {
      signal,
      onEvent: (e) => {
        if (e.type === 'phase' && e.phase === 'secret') print(`creating secret ${e.secret}`);
        if (e.type === 'phase' && e.phase === 'deploying') print(`deploying ${plan.environment} (${displayLine(plan.oldTag ?? 'none')} -> ${displayLine(plan.newTag)})`);
        if (e.type === 'resource') {
          const r = e.event;
          print(`  [${r.done}/${r.total}] ${r.status.padEnd(22)} ${displayLine(`${r.resourceType} ${resourceLabel(r)}${r.reason ? `: ${r.reason}` : ''}`, 1000)}`);
        }
        if (e.type === 'rollout') print(`  rollout ${displayLine(e.rollout.rolloutState ?? '?', 100)}: ${e.rollout.running}/${e.rollout.desired} running, ${e.rollout.pending} pending`);
      },
    });
  if (outcome.outcome === 'succeeded') {
    print(`deployed ${plan.environment}: ${displayLine(plan.newTag)}`);
    print(`endpoint: ${displayLine(outcome.endpoint)}`);
    return 0;
  }
  if (outcome.outcome === 'unrecorded') {
    printError(`error: deployed ${displayLine(plan.newTag)} to ${plan.environment} (the stack runs it); recording it in deploy.json failed: ${displayLine(outcome.error, 1000)}`);
    printError(`endpoint: ${displayLine(outcome.endpoint)}`);
    printError(`deploy.json does not list this deploy: its history (and so rollback) misses it until a deploy of ${plan.environment} is recorded`);
    return 1;
  }
  if (outcome.outcome === 'cancelled') {
    print(`cancelled; deploy.json unchanged; stack ${plan.stackName} is ${displayLine(outcome.stackStatus ?? 'unknown')}`);
    const after = afterCancel(outcome.stackStatus);
    if (after) print(`${after}; watch it with \`benchling-deploy status\``);
    return 1;
  }
  printError(`error: deploy of ${plan.environment} failed; deploy.json unchanged; stack ${plan.stackName} is ${displayLine(outcome.stackStatus ?? 'unknown')}`);
  for (const r of outcome.reasons) printError(`  ${displayLine(r, 1000)}`);
  printError(`the full cdk output is in ${outcome.logFile}`);
  return 1;
}

interface PlannedRun {
  readonly g: Globals;
  readonly yes?: boolean;
  /** `--allow-replacement`: with --yes, confirms a plan that replaces the API, a load balancer or the running prod service. */
  readonly allowReplacement?: boolean;
  readonly kind?: OperationKind;
  readonly aws: Awaited<ReturnType<typeof awsFor>>;
  readonly signal: AbortSignal;
  readonly title: string;
  /** Rows shown after the plan (promote's images, rollback's target). */
  readonly extraRows?: readonly { label: string; value: string }[];
  readonly question: string;
  readonly word: string | null;
  /** `diff`: show the plan and the changes, run nothing. */
  readonly diffOnly?: boolean;
  readonly prepare: () => Promise<DeployPlan>;
}

/**
 * What every deploying command does: prepare (the plan holds the stack's
 * lock), show the plan and the diff, ask, run. Every way out before the run
 * disposes of the plan (lock released, assembly removed).
 */
async function planAndRun(run: PlannedRun): Promise<number> {
  const { disposePlan, diffPlan } = await import('../../src/infra/deploy.js');
  const plan = await run.prepare();
  let running = false;
  try {
    if (run.signal.aborted) throw cancelledBeforeRun();
    printPlan(plan, run.title);
    if (run.extraRows) printRows(run.extraRows);
    if (run.diffOnly) {
      const changes = await diffPlan(plan, run.signal);
      print('  changes');
      if (changes.length === 0) print('    (no resource changes besides parameters)');
      for (const line of changes) print(`    ${line}`);
      return 0;
    }
    // Replacing what serves requests is confirmed by the stack's name, or by --yes with --allow-replacement: the plan's rows above say what.
    if (replacesServing(plan) && (run.g.yes || run.yes) && !run.allowReplacement) throw replacementRefusal(plan);
    await showDiff(plan, run.signal);
    if (run.signal.aborted) throw cancelledBeforeRun();
    if (replacesServing(plan)) {
      await confirm(run.g, { yes: run.yes && run.allowReplacement }, `${run.question} It replaces what serves requests (above).`, planConfirmationWord(run.kind ?? 'deploy', plan));
    } else if (updatesProd(plan)) {
      // A dev deploy that changes prod's service: asked like a prod deploy, never run unasked.
      if (run.g.yes || run.yes || !isInteractive()) throw prodUpdateRefusal(plan);
      await confirm(run.g, {}, `${run.question} prod's service is updated too.`, confirmationWord('deploy', plan.environment, plan.others));
    } else {
      await confirm(run.g, { yes: run.yes }, run.question, run.word);
    }
    if (run.signal.aborted) throw cancelledBeforeRun();
    running = true;
  } finally {
    if (!running) {
      disposePlan(plan);
      // The account's lock is deleted before the command ends.
      await plan.accountLock?.release();
    }
  }
  return execute(plan, run.aws, run.signal);
}

/** Runs `body` with the command's signal handlers installed, removing them after. */
async function withSignals<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signals = commandSignals();
  try {
    return await body(signals.signal);
  } finally {
    signals.dispose();
  }
}

const STACK_NAME_RE = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** A `--stack-name` value: a CloudFormation stack name, else refused (2) naming the flag. */
function stackNameOption(value: string): string {
  if (!STACK_NAME_RE.test(value)) throw new UserError(`--stack-name: "${displayLine(value, 200)}" is not a CloudFormation stack name (a letter, then letters, digits and -, at most 128)`);
  return value;
}

/** Bucket name given to a profile without one, only to synthesize the assembly `cdk destroy` reads the stack's name from. */
const UNUSED_BUCKET = 'benchling-deploy-destroy-unused';

function destroyable(profiles: StackProfiles): StackProfiles {
  const filled = (p: ResolvedProfile): ResolvedProfile => (p.pkgBucket ? p : { ...p, pkgBucket: UNUSED_BUCKET });
  return { ...profiles, prod: filled(profiles.prod), ...(profiles.dev ? { dev: filled(profiles.dev) } : {}) };
}

/** What deploy and diff both start from: the target, its AWS, the team records, and the plan's preparation of its image. */
async function deployPreparation(g: Globals, opts: { environment?: EnvironmentName; profile?: string; imageTag?: string }, verb: 'deploy' | 'diff') {
  if (opts.imageTag !== undefined && !isImageReference(opts.imageTag)) throw new UserError(`--image-tag: "${displayLine(opts.imageTag, 200)}" is not a Docker tag or sha256:<64 hex>`);
  const { target, configDir, recordsPath } = targetFor(g, opts.environment, opts.profile);
  const aws = await awsFor(target, g);
  const team = await commandTeam(target, recordsPath, aws);
  const { prepareDeploy } = await import('../../src/infra/deploy.js');
  const prepare = () => prepareDeploy({ target, imageTag: opts.imageTag, imageTagSource: '--image-tag', awsProfile: g.awsProfile, configDir, recordsPath, purpose: `${verb} ${target.environment}`, team }, aws, synth);
  return { target, aws, prepare };
}

export const deployAction = action(async (opts: { environment?: EnvironmentName; profile?: string; imageTag?: string; yes?: boolean; allowReplacement?: boolean }, cmd: Command) => {
  const g = globalsOf(cmd);
  const { target, aws, prepare } = await deployPreparation(g, opts, 'deploy');
  return withSignals((signal) =>
    planAndRun({
      g, yes: opts.yes, allowReplacement: opts.allowReplacement, aws, signal, title: 'deploy',
      question: `Deploy ${target.environment}?`,
      word: confirmationWord('deploy', target.environment),
      prepare,
    }),
  );
});

export const diffAction = action(async (opts: { environment?: EnvironmentName; profile?: string; imageTag?: string }, cmd: Command) => {
  const g = globalsOf(cmd);
  const { aws, prepare } = await deployPreparation(g, opts, 'diff');
  return withSignals((signal) =>
    planAndRun({
      g, aws, signal, title: 'diff', diffOnly: true, question: '', word: null,
      prepare,
    }),
  );
});

export const promoteAction = action(async (opts: { yes?: boolean; allowReplacement?: boolean }, cmd: Command) => {
  const g = globalsOf(cmd);
  const { target, configDir, recordsPath } = targetFor(g, 'prod');
  if (!target.dev) throw new UserError('promote: there is no dev profile (dev.json), so there is no dev environment to promote from', 'create one with `benchling-deploy setup-profile dev --from default --environment dev`');
  const aws = await awsFor(target, g);
  const { shortDigest } = await import('../../src/infra/promote.js');
  const team = await commandTeam(target, recordsPath, aws);
  const decision = await decidePromoteFor(target, aws);
  if (!decision.ok) throw new ExternalError(`promote refused: ${displayLine(decision.reason, 1000)}`, { hint: 'nothing was changed; `benchling-deploy status` shows both environments' });
  const { prepareDeploy } = await import('../../src/infra/deploy.js');
  return withSignals((signal) =>
    planAndRun({
      g, yes: opts.yes, allowReplacement: opts.allowReplacement, kind: 'promote', aws, signal, title: 'promote',
      extraRows: promoteRows(decision, shortDigest),
      question: 'Promote dev\'s image to prod?',
      word: confirmationWord('promote', 'prod'),
      // The digest is dev's image: dev's tag says which release's contract it follows.
      prepare: () => prepareDeploy({ target, imageTag: decision.digest, contractTag: decision.devTag ?? undefined, awsProfile: g.awsProfile, configDir, recordsPath, purpose: 'promote dev to prod', team }, aws, synth),
    }),
  );
});

export const rollbackAction = action(async (opts: { environment: EnvironmentName; release?: string; yes?: boolean; allowReplacement?: boolean }, cmd: Command) => {
  const g = globalsOf(cmd);
  const { target, configDir, recordsPath } = targetFor(g, opts.environment);
  // What deploy.json says is checked first, before any AWS call: an entry that cannot be rolled back to is refused (2).
  const local = loadDeployRecords(recordsPath)[opts.environment];
  const localPrevious = rollbackEntry(local);
  if (localPrevious) {
    const checked = rollbackRequest(opts.environment, recordsPath, localPrevious, local!.history.indexOf(localPrevious), opts.release);
    (await import('../../src/infra/deploy.js')).refuseUnservable(checked.imageTag, checked.imageTagSource);
  }
  const aws = await awsFor(target, g);
  const team = await commandTeam(target, recordsPath, aws);
  // Then the account's history: deploy.json is refreshed from it.
  await team.refresh([opts.environment]);
  const record = loadDeployRecords(recordsPath)[opts.environment];
  const previous = rollbackEntry(record);
  if (!previous) throw noRollbackError(opts.environment, recordsPath);
  // What the image was served as goes with it: a digest's release is in its record, never assumed.
  const back = rollbackRequest(opts.environment, recordsPath, previous, record!.history.indexOf(previous), opts.release);
  const { prepareDeploy } = await import('../../src/infra/deploy.js');
  return withSignals((signal) =>
    planAndRun({
      g, yes: opts.yes, allowReplacement: opts.allowReplacement, kind: 'rollback', aws, signal, title: 'rollback',
      extraRows: [{ label: 'back to', value: `${previous.imageTag} (deployed ${previous.deployedAt}${previous.deployedBy ? ` by ${previous.deployedBy}` : ''})` }],
      question: `Roll ${opts.environment} back to ${displayLine(previous.imageTag)}?`,
      word: confirmationWord('rollback', opts.environment),
      prepare: () => prepareDeploy({ target, ...back, awsProfile: g.awsProfile, configDir, recordsPath, purpose: `rollback ${opts.environment}`, team }, aws, synth),
    }),
  );
});

export const testAction = action(async (opts: { environment?: EnvironmentName; timeout: number; stackName?: string }, cmd: Command) => {
  const g = globalsOf(cmd);
  const timeout = opts.timeout;
  const otherStack = opts.stackName === undefined ? undefined : stackNameOption(opts.stackName);
  const { target, recordsPath } = targetFor(g, opts.environment);
  const env = target.environment;
  const stackName = otherStack ?? target.place.stackName;
  const outputsOf = async () => {
    const outputs = (await (await awsFor(target, g)).describeStack(stackName))?.outputs;
    // The older tool's stack names prod's URL WebhookEndpoint.
    return outputs && otherStack !== undefined && env === 'prod' && outputs.ProdEndpoint === undefined && outputs.WebhookEndpoint ? { ...outputs, ProdEndpoint: outputs.WebhookEndpoint.replace(/\/+$/, '') } : outputs;
  };
  const found = await findEndpoint(env, otherStack === undefined ? loadDeployRecords(recordsPath)[env]?.endpoint : undefined, outputsOf);
  if (!found) throw new ExternalError(`no endpoint for ${env}: not in ${otherStack === undefined ? 'deploy.json nor in ' : ''}the outputs of stack ${stackName}; has ${env} been deployed there?`, { hint: `benchling-deploy deploy --environment ${env}` });
  const { endpoint, source } = found;
  const r = await checkEndpoint(endpoint, { timeoutMs: timeout * 1000 });
  if (g.json) printJson({ environment: env, endpoint, source, ...r, latencyMs: Math.round(r.latencyMs) });
  // The body is the endpoint's words: one line, escaped, cut (--json has it as it came, up to 500 characters).
  else if ('status' in r) print(`GET ${displayLine(r.url)} -> ${r.status} in ${Math.round(r.latencyMs)} ms${r.ok ? '' : `: ${displayLine(r.body, 200)}`}`);
  else printError(`error: ${displayLine(r.message, 1000)}`);
  return r.ok ? 0 : 1;
});

export const destroyAction = action(async (opts: { yes?: boolean; stackName?: string }, cmd: Command) => {
  const g = globalsOf(cmd);
  const otherStack = opts.stackName === undefined ? undefined : stackNameOption(opts.stackName);
  const configDir = configDirOf(g);
  const recordsPath = deployRecordPath(configDir);
  const resolved = resolveStackProfiles(loadProfiles(configDir), { region: g.region });
  const profiles: StackProfiles = otherStack === undefined ? resolved : { ...resolved, place: { ...resolved.place, stackName: otherStack } };
  const target: DeployTarget = { ...profiles, environment: 'prod', profile: profiles.prod };
  const stackName = profiles.place.stackName;
  const lock = acquireLock(lockPathFor(recordsPath), 'destroy');
  let accountLock: { release(): Promise<void> } | null = null;
  try {
    const aws = await awsFor(target, g);
    const { credentialsError } = await import('../../src/infra/deploy.js');
    const identity = await aws.callerIdentity().catch((e) => Promise.reject(credentialsError(e, g.awsProfile ?? profiles.prod.awsProfile)));
    const stack = await aws.describeStack(stackName);
    if (!stack) throw new ExternalError(`stack ${stackName} does not exist in ${profiles.place.region} (account ${displayLine(identity.account, 40)}); nothing to destroy`);
    // Never while a deploy from another machine holds the stack: the same lock in the account as deploys take.
    accountLock = await (await commandTeam(target, recordsPath, aws)).acquireLock('destroy', 'prod');
    print(`destroy: stack ${stackName} in ${profiles.place.region}, account ${displayLine(identity.account, 40)} (${displayLine(stack.status, 80)})`);
    print('  every environment of the stack (its services, API, load balancer, VPC) is deleted; secrets and deploy.json history are kept');
    await confirm(g, opts, 'Delete the stack?', stackName);
    const { makeTempDir, newCdkLogFile, removeTempDir } = await import('../../src/infra/work-files.js');
    const { runCdk } = await import('../../src/infra/runner.js');
    const logFile = newCdkLogFile(configDir, 'destroy');
    const awsProfile = g.awsProfile ?? profiles.prod.awsProfile;
    // cdk ends a failure with `❌ Stack: destroy failed DeploymentError: MESSAGE`, then MESSAGE again on a line of its own.
    let previous = '';
    const printLine = (line: string) => {
      const repeat = line.trim() !== '' && previous.trimEnd().endsWith(`: ${line.trim()}`);
      previous = line;
      if (!repeat) print(`  ${line}`);
    };
    const result = await withSignals(async (signal) => {
      const workDir = makeTempDir();
      try {
        // cdk destroy finds the stack by name in the assembly; the template itself is never used,
        // so a profile without a package bucket (one the stack may not even hold) is no reason to refuse.
        const built = await synth(destroyable(profiles), join(workDir, 'assembly'));
        if (signal.aborted) throw cancelledBeforeRun();
        print(`cdk output: ${logFile}`);
        return await runCdk({
          args: ['destroy', '--app', built.assemblyDir, '--force', '--no-notices', '--ci', stackName],
          cwd: workDir,
          logFile,
          signal,
          onProcess: (pid) => lock.noteCdk(pid),
          env: { AWS_REGION: profiles.place.region, AWS_DEFAULT_REGION: profiles.place.region, ...(awsProfile ? { AWS_PROFILE: awsProfile } : {}) },
          onLine: printLine,
        });
      } finally {
        removeTempDir(workDir);
      }
    });
    if (result.outcome !== 'succeeded') {
      // cdk's lines were printed as they came: the error does not repeat them.
      throw new ExternalError(`cdk destroy ${result.outcome === 'cancelled' ? 'was cancelled' : 'failed'}; deploy.json unchanged`, { command: 'cdk destroy', exitCode: result.outcome === 'failed' ? result.exitCode : undefined, hint: `cdk's output is above, and in full in ${logFile}` });
    }
    // Only a stack that is really gone is recorded as destroyed: cdk's exit status alone is not trusted.
    const after = await aws.describeStack(stackName);
    if (after && after.status !== 'DELETE_COMPLETE') {
      throw new ExternalError(`cdk destroy ended, but stack ${stackName} is ${displayLine(after.status)}${after.statusReason ? ` (${displayLine(after.statusReason, 1000)})` : ''}; deploy.json unchanged`, { command: 'cdk destroy', hint: `the full output is in ${logFile}` });
    }
    // Another stack's destroy marks only the records of that stack (a side-by-side upgrade's old one).
    const records = otherStack === undefined ? undefined : loadDeployRecords(recordsPath);
    const envs = records === undefined ? [...ENVIRONMENTS] : ENVIRONMENTS.filter((env) => records[env]?.stackName === otherStack);
    await markDestroyed(recordsPath, envs, new Date().toISOString(), { lock });
    print(`destroyed ${stackName}; deploy.json keeps the history`);
    return 0;
  } finally {
    await accountLock?.release();
    lock.release();
  }
});
