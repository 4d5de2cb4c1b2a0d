import { Worker } from 'node:worker_threads';
import { ExternalError, UserError, UserErrors } from '../errors.js';
import { displayLine } from '../display-text.js';
import type { EnvironmentName } from '../config/schema.js';
import { withoutClientSecrets, type DeployTarget } from '../config/pairing.js';
import type { EnvironmentRecord, HistoryEntry } from '../state/deploy-records.js';
import type { DeployPlan, OtherEnvironment, Synthesizer } from './deploy.js';
import { OLDER_TOOL_RANGE } from './older-tool-range.js';
import { QUILT_VALUES, type QuiltResolution } from './quilt-values.js';
import type { PromoteAws } from './deploy-aws.js';
import type { PromoteDecision } from './promote.js';
import type { SynthWorkerInput, SynthWorkerReply } from './synth-worker.js';
import { outputName, parameterName, rolloutAlarmNames } from '../config/names.js';
import { LATEST_RELEASE, releaseOf } from './container-contract.js';
import { DIGEST_RE } from '../config/schema.js';
import { costChangeText } from '../config/cost.js';
import { LEGACY_TASK_SIZE } from '../config/task-size.js';

/**
 * The wiring every way of deploying shares (the CLI's deploy, promote and
 * rollback commands and the dashboard's keys): how the stack is synthesized,
 * which AWS side is used, what a plan shows, what must be typed to confirm,
 * where promote's image and rollback's tag come from. Heavy modules (the AWS
 * SDK, aws-cdk-lib) load on first use only.
 */

export type OperationKind = 'deploy' | 'promote' | 'rollback';

/** Synthesizes the stack offline; aws-cdk-lib loads here, not before. */
export const synthesizeStackLazily: Synthesizer = async (profiles, outDir, options = {}) => {
  const { synthesizeStack } = await import('./synth.js');
  const result = synthesizeStack(profiles, outDir, options.keep ? { keep: options.keep } : {});
  return { assemblyDir: result.assemblyDir, hasAssets: result.hasAssets, templateBodySize: result.templateBodySize };
};

/** The default worker file: `synth-worker.cjs` beside this module's file (`dist/`). */
function defaultWorkerUrl(): URL {
  return new URL('./synth-worker.cjs', import.meta.url);
}

/**
 * The same synthesis in a worker thread, for the dashboard: loading
 * aws-cdk-lib and building the stack take a second or two of CPU, which on
 * the main thread would freeze the screen (spinner, keys, refreshes). Runs
 * `synth-worker.cjs` beside this module's file (`dist/`), which runs the
 * synthesis in dist/synth.cjs with its code cache (bin/front.ts:
 * runSynthWorker); `workerUrl` points elsewhere (tests running from source use
 * the built one). Errors come back as the same kinds (UserError,
 * ExternalError) with their hints. A worker is started for each synthesis,
 * when it is asked for; {@link startSynthWorker} starts it sooner.
 */
export function synthesizeStackInWorker(workerUrl: URL = defaultWorkerUrl()): Synthesizer {
  return async (profiles, outDir, options = {}) => startSynthWorker(workerUrl).synthesize(profiles, outDir, options);
}

/** A synthesis worker thread started ahead of its one synthesis ({@link startSynthWorker}). */
export interface SynthWorker {
  /** The synthesis, once (a second call is refused); the worker ends when it has answered. */
  readonly synthesize: Synthesizer;
  /** Ends the worker if it still runs (a plan that never synthesized: the assembly reused, a pre-flight refusal). */
  close(): void;
}

/**
 * A worker thread for one synthesis, started now: it boots and loads
 * dist/synth.cjs and the files of aws-cdk-lib a synthesis loads (as the build
 * recorded them, dist/synth-modules.cjs) while the deploy's pre-flight waits
 * on AWS, and synthesizes when {@link SynthWorker.synthesize} sends it the profiles
 * (which the pre-flight decides: the ids a deployed stack keeps). What stops
 * it before then (a missing file) is that call's error; a worker never asked
 * ends with {@link SynthWorker.close}, its errors unseen.
 */
export function startSynthWorker(workerUrl: URL = defaultWorkerUrl()): SynthWorker {
  let stderr = '';
  let asked = false;
  // Its output is kept off the terminal (the dashboard owns the screen); stderr's end goes into an error.
  const worker = new Worker(workerUrl, { stdout: true, stderr: true });
  worker.stdout.resume();
  worker.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  // Listened to from the start: an error of a worker never asked is no unhandled one.
  const answered = new Promise<SynthWorkerReply>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the synthesis worker exited (code ${code}) without an answer${stderr ? `: ${stderr.trim()}` : ''}`)));
  });
  answered.catch(() => {});
  const close = () => void worker.terminate();
  const synthesize: Synthesizer = async (profiles, outDir, options = {}) => {
    if (asked) throw new Error('a synthesis worker synthesizes once');
    asked = true;
    // The template never holds the client secret: it does not cross to the worker either.
    const input: SynthWorkerInput = {
      profiles: withoutClientSecrets(profiles),
      outDir,
      ...(options.keep ? { keep: options.keep } : {}),
    };
    let reply: SynthWorkerReply;
    try {
      worker.postMessage(input);
      reply = await answered;
    } finally {
      close();
    }
    if (reply.ok) return { assemblyDir: reply.assemblyDir, hasAssets: reply.hasAssets, templateBodySize: reply.templateBodySize };
    switch (reply.kind) {
      case 'users':
        throw new UserErrors(reply.problems ?? [reply.message], reply.hint);
      case 'user':
        throw new UserError(reply.message, reply.hint);
      case 'external':
        throw new ExternalError(reply.message, { hint: reply.hint });
      default:
        throw Object.assign(new Error(reply.message), { stack: reply.stack });
    }
  };
  return { synthesize, close };
}

/** The real AWS side of a deploy for the target, on the SDK (loaded now). */
export async function deployAwsFor(target: DeployTarget, awsProfile: string | undefined): Promise<PromoteAws> {
  const { createDeployAws } = await import('./deploy-aws.js');
  return createDeployAws({ region: target.place.region, awsProfile: awsProfile ?? target.profile.awsProfile });
}

/**
 * What must be typed to confirm: anything that changes prod (deploy, promote,
 * rollback) needs `prod`, a dev deploy whose plan updates prod's service too
 * ({@link updatesProd}) as well; null means a y/N question (dev).
 */
export function confirmationWord(kind: OperationKind, environment: EnvironmentName, others: readonly OtherEnvironment[] = []): string | null {
  if (kind === 'promote') return 'prod';
  if (environment === 'prod') return 'prod';
  return others.some((o) => o.environment === 'prod' && o.change === 'updated') ? 'prod' : null;
}

/** Whether a plan of another environment changes prod's running service (its parameters new to the stack). */
export function updatesProd(plan: Pick<DeployPlan, 'environment' | 'others'>): boolean {
  return plan.environment !== 'prod' && plan.others.some((o) => o.environment === 'prod' && o.change === 'updated');
}

/** Why a plan that updates prod's service is not run unasked (--yes, no terminal). */
export function prodUpdateRefusal(plan: Pick<DeployPlan, 'environment' | 'others'>): UserError {
  const passed = plan.others.find((o) => o.environment === 'prod')?.passed ?? [];
  return new UserError(
    `this ${plan.environment} deploy would change prod's running service too (its parameters ${passed.join(', ')} are new to the stack); it is not done without typing "prod" on a terminal`,
    'deploy prod first (`benchling-deploy deploy --environment prod`), then this; nothing was changed',
  );
}

/** The plan as label/value rows, the same on the terminal and in the dashboard. Labels are unique (the dashboard keys rows by them). */
export function planRows(plan: DeployPlan): { label: string; value: string }[] {
  // Values hold outside text (the caller's ARN, tags from deploy.json or ECS, the Quilt stack's outputs): one line each, through the door.
  return rawPlanRows(plan).map((r) => ({ label: r.label, value: displayLine(r.value, PLAN_VALUE_MAX) }));
}

/** Characters of a plan row's value. */
const PLAN_VALUE_MAX = 1000;

function rawPlanRows(plan: DeployPlan): { label: string; value: string }[] {
  return [
    { label: 'profile', value: plan.profile.profile },
    { label: 'stack', value: `${plan.stackName}${plan.stackExists ? '' : ' (new: first deploy creates every environment of the stack)'}` },
    { label: 'account', value: `${plan.account} (${plan.callerArn})` },
    { label: 'region', value: plan.region },
    { label: 'image', value: `${plan.oldTag ?? '(none)'} -> ${plan.newTag}` },
    { label: 'contract', value: contractText(plan) },
    { label: 'alarms', value: `${plan.environment}'s rollout rolls back by itself if ${rolloutAlarmNames(plan.stackName, plan.environment).join(' or ')} fires` },
    { label: 'bucket', value: `${plan.profile.pkgBucket ?? '(none)'} (profile ${basename(plan.profile.profile)})` },
    ...plan.quilt.flatMap((q) => quiltRows(q, q.environment === plan.environment ? '' : `${q.environment} `)),
    ...plan.secrets
      .filter((x) => x.create)
      .map((x) => ({ label: x.environment === plan.environment ? 'secret' : `${x.environment} secret`, value: `${x.name} (${x.environment}) does not exist: it will be created from the ${x.environment} profile` })),
    ...plan.others.map((o) => ({ label: 'other', value: otherText(o) })),
    ...plan.joinsLater.map((env) => ({ label: `${env} later`, value: `${env} is not part of this upgrade: the stack gets ${env} on its own first deploy (\`benchling-deploy deploy --environment ${env}\`)` })),
    ...replacementRows(plan),
    ...costRows(plan),
  ];
}

/**
 * The plan's words before a deploy that upgrades the older tool's stack or
 * replaces the API, a load balancer or the running prod service: the
 * endpoint before and after, what is replaced and why, the expected
 * interruption, and, when the URL cannot be kept, the side-by-side path.
 */
export function replacementRows(plan: Pick<DeployPlan, 'replacement' | 'stackName'>): { label: string; value: string }[] {
  const r = plan.replacement;
  if (!r) return [];
  const rows: { label: string; value: string }[] = [];
  if (r.olderTool) {
    rows.push({
      label: 'upgrade',
      value: r.olderTool.recognized && r.kept
        ? `the stack was made by the older benchling-webhook tool (${r.olderTool.version}): upgraded in place; its REST API ${r.kept.restApi}${r.kept.prodStage ? `, its prod stage ${r.kept.prodStage}` : ''} and its routes keep their ids and are updated, not replaced`
        : `the stack was made by the older benchling-webhook tool (${r.olderTool.version}), a version outside ${OLDER_TOOL_RANGE.from} to ${OLDER_TOOL_RANGE.to}.x: nothing of it can be kept`,
    });
  }
  const apiReplaced = r.replaced.some((x) => x.role === 'api');
  const after = r.endpointAfter ?? 'a new URL, known once the new API exists';
  rows.push({ label: 'endpoint', value: `${r.endpointBefore ?? '(none)'} -> ${after}${!apiReplaced && r.endpointAfter !== undefined ? ' (the same API and stage: unchanged)' : ''}` });
  rows.push({ label: 'replaces', value: r.replaced.length === 0 ? 'nothing that serves requests (the API, the load balancer and the prod service stay)' : r.replaced.map((x) => `${x.role} ${x.logicalId} (${x.why})`).join('; ') });
  const deleted = (r.removed ?? []).filter((x) => !x.retained);
  const retained = (r.removed ?? []).filter((x) => x.retained);
  if (deleted.length > 0) rows.push({ label: 'deletes', value: `${deleted.length} more resource${deleted.length === 1 ? '' : 's'} the new template does not hold, once the update is done: ${typeCounts(deleted)}` });
  if (retained.length > 0) rows.push({ label: 'retains', value: `${retained.length} resource${retained.length === 1 ? '' : 's'} the new template does not hold ${retained.length === 1 ? 'leaves' : 'leave'} the stack but ${retained.length === 1 ? 'stays' : 'stay'} in the account (DeletionPolicy Retain): ${typeCounts(retained)}` });
  if (r.replaced.length > 0) rows.push({ label: 'interrupt', value: interruptionText(apiReplaced, r.stageWaits) });
  if (apiReplaced) rows.push({ label: 'instead', value: sideBySideText(plan.stackName) });
  return rows;
}

/** `2 AWS::IAM::Role, 1 AWS::ECS::Cluster`: most first, then by type. */
function typeCounts(resources: readonly { type: string }[]): string {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([type, n]) => `${n} ${type}`).join(', ');
}

function interruptionText(apiReplaced: boolean, stageWaits: boolean): string {
  if (apiReplaced) return "Benchling's calls to the old URL fail once the old API is deleted at the end of this deploy, until the app's webhook URL is switched to the new endpoint";
  if (stageWaits) return 'none expected: the prod stage keeps serving the running service until the new prod service is healthy, then switches to it; the replaced resources are deleted after that';
  return "prod's requests may fail for a few minutes, from when the stage reaches the new resources until the new prod tasks pass their health checks";
}

/** The path that keeps the old URL serving while a new stack comes up beside it. */
export function sideBySideText(stackName: string): string {
  return `to keep the old URL serving meanwhile, deploy side by side: set "stackName" in the prod profile to a new name and deploy that, \`benchling-deploy test --environment prod\` the new endpoint and \`benchling-deploy test --environment prod --stack-name ${stackName}\` the old, switch Benchling's webhook URL to the new one, then \`benchling-deploy destroy --stack-name ${stackName}\``;
}

/**
 * What must be typed to confirm a prepared plan: the stack's name when it
 * replaces the API, a load balancer or the running prod service; else
 * {@link confirmationWord}.
 */
export function planConfirmationWord(kind: OperationKind, plan: Pick<DeployPlan, 'environment' | 'others' | 'replacement' | 'stackName'>): string | null {
  return replacesServing(plan) ? plan.stackName : confirmationWord(kind, plan.environment, plan.others);
}

/** Whether the plan replaces the API, a load balancer or the running prod service: then the stack's name is typed to confirm. */
export function replacesServing(plan: Pick<DeployPlan, 'replacement'>): boolean {
  return (plan.replacement?.replaced.length ?? 0) > 0;
}

/** Why a plan that replaces what serves requests is not run on --yes alone. */
export function replacementRefusal(plan: Pick<DeployPlan, 'replacement' | 'stackName'>): UserError {
  const what = (plan.replacement?.replaced ?? []).map((x) => x.role);
  return new UserError(
    `--allow-replacement: this deploy replaces the ${[...new Set(what)].join(', the ')} of stack ${plan.stackName} (the plan above says what and why); --yes alone does not confirm that`,
    `read the plan, then add --allow-replacement to --yes, or confirm on a terminal by typing "${plan.stackName}"; nothing was changed`,
  );
}

/**
 * What the deploy does to the month's bill for tasks: this environment's
 * capacity and task size before (the stack's parameters) and after (the
 * ones passed), and another environment's when this deploy passes its
 * parameters too. A stack from before `<Env>Cpu` existed ran 1 vCPU / 2 GB.
 */
function costRows(plan: DeployPlan): { label: string; value: string }[] {
  const rows = [{ label: 'cost', value: costValue(plan.environment, plan.region, plan.deployedParameters, plan.parameters) }];
  for (const o of plan.others) {
    if (o.change === 'kept') continue;
    const held = o.change === 'created' ? {} : plan.keptParameters;
    rows.push({ label: `${o.environment} cost`, value: costValue(o.environment, plan.region, held, { ...plan.keptParameters, ...plan.parameters }) });
  }
  return rows;
}

function costValue(environment: EnvironmentName, region: string, before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string {
  const read = (values: Readonly<Record<string, string>>, legacy: boolean) => {
    const tasks = values[parameterName(environment, 'MinCapacity')];
    if (tasks === undefined) return undefined;
    const cpu = values[parameterName(environment, 'Cpu')];
    const memory = values[parameterName(environment, 'Memory')];
    const size = cpu === undefined && memory === undefined && legacy ? LEGACY_TASK_SIZE : { cpu: Number(cpu), memory: Number(memory) };
    return { tasks: Number(tasks), size };
  };
  const was = read(before, true);
  const will = read(after, false);
  const bad = [was, will].some((x) => x !== undefined && ![x.tasks, x.size.cpu, x.size.memory].every(Number.isFinite));
  if (!will || bad) return `unknown: the capacity or task size of ${environment} is not known`;
  return costChangeText(environment, region, was, will);
}

function basename(profile: string): string {
  return `${profile}.json`;
}

function contractText(plan: DeployPlan): string {
  const c = plan.contract;
  const consumers = `consumers ${c.consumers}`;
  const of = c.tag === plan.newTag ? '' : c.source ? `recorded as ${c.tag} (${c.source}): ` : `${plan.newTag.startsWith('sha256:') ? 'the digest of ' : ''}dev's ${c.tag}: `;
  if (c.assumed) return `${of}the version of ${c.tag} is unknown: served as the latest release, ${c.release} (${consumers})`;
  return `${of}${c.release} (${consumers})`;
}

/** Where the Quilt stack's values came from, then each value and its source. */
function quiltRows(q: QuiltResolution, prefix: string): { label: string; value: string }[] {
  const file = basename(q.profile);
  const rows = [{ label: `${prefix}quilt`, value: q.unreadable ? `${q.stackArn} ${q.unreadable}: ${file}'s values are used` : `${q.stackArn}: outputs read` }];
  for (const def of QUILT_VALUES) {
    const v = q.values[def.field];
    const source =
      v.source === 'profile'
        ? `profile ${file}${v.stackSays !== undefined ? `, instead of the Quilt stack's ${v.stackSays}` : ''}`
        : v.source === 'stack'
          ? `Quilt stack output ${def.output}`
          : `default: neither ${file} (${def.field}) nor the Quilt stack (${def.output}) says`;
    rows.push({ label: `${prefix}${def.label}`, value: `${v.value} (${source})` });
  }
  return rows;
}

function otherText(o: OtherEnvironment): string {
  if (o.change === 'kept') return `${o.environment} keeps its running service (parameters unchanged)`;
  if (o.change === 'created') return `${o.environment} is created by this deploy, from the ${o.environment} profile and its Quilt stack`;
  return `${o.environment}'s service is updated by this deploy too: the template changed, and its new parameters (${o.passed.join(', ')}) are set from the ${o.environment} profile and its Quilt stack`;
}

/**
 * Whether dev's running image may go to prod: reads the stack, both services'
 * rollouts and the digests their tasks run, and lets {@link decidePromote}
 * judge. Throws when the stack does not exist.
 */
export async function decidePromoteFor(target: DeployTarget, aws: PromoteAws): Promise<PromoteDecision> {
  if (!target.dev) {
    throw new UserError('promote: there is no dev profile (dev.json), so there is no dev environment to promote from', 'create one with `benchling-deploy setup-profile dev --from default --environment dev`');
  }
  const { decidePromote } = await import('./promote.js');
  const stack = await aws.describeStack(target.place.stackName);
  if (!stack) throw new ExternalError(`stack ${target.place.stackName} does not exist in ${target.place.region}; deploy dev first`);
  const cluster = stack.outputs.ClusterName;
  const devService = stack.outputs[outputName('dev', 'ServiceName')];
  const prodService = stack.outputs[outputName('prod', 'ServiceName')];
  const devTargetGroup = stack.outputs[outputName('dev', 'TargetGroupArn')];
  return decidePromote({
    devRollout: cluster && devService ? await aws.serviceRollout(cluster, devService) : undefined,
    devTargets: devTargetGroup ? await aws.targetHealth(devTargetGroup) : undefined,
    devImages: cluster && devService ? await aws.runningImages(cluster, devService) : [],
    devTag: stack.parameters[parameterName('dev', 'ImageTag')] ?? null,
    prodTag: stack.parameters[parameterName('prod', 'ImageTag')] ?? null,
    prodImages: cluster && prodService ? await aws.runningImages(cluster, prodService) : [],
    devRepository: target.dev.imageRepository,
    prodRepository: target.prod.imageRepository,
  });
}

/** The promote rows added to the plan: what dev runs, and prod's old and new image. */
export function promoteRows(decision: Extract<PromoteDecision, { ok: true }>, shortDigest: (ref: string) => string): { label: string; value: string }[] {
  return [
    { label: 'dev runs', value: `${decision.devTag ?? '?'} = ${decision.digest}` },
    { label: 'prod', value: `${decision.prodTag ?? '(none)'} -> ${shortDigest(decision.digest)}` },
  ];
}

/** The image a rollback goes back to: the newest earlier deploy with another tag. */
export function rollbackEntry(record: EnvironmentRecord | undefined): HistoryEntry | undefined {
  return record?.history.find((h) => h.imageTag && h.imageTag !== record.imageTag);
}

/** What a rollback to a history entry passes to the deploy: the image, the release it was served as, where each came from. */
export interface RollbackRequest {
  readonly imageTag: string;
  readonly contractTag?: string;
  readonly imageTagSource: string;
  readonly contractTagSource?: string;
}

/**
 * The deploy of a rollback to `entry` (at `index` of the environment's
 * history): the image is served as the release deploy.json recorded with it
 * (`release`, when given, overrides). A digest with no release recorded is
 * refused: assuming the latest
 * release would give an old image helper containers it lacks. Another tag
 * that names no release (latest, a branch tag) is served as the latest
 * release, as a deploy of it is, and the plan says so.
 */
export function rollbackRequest(environment: EnvironmentName, recordsPath: string, entry: HistoryEntry, index: number, release?: string): RollbackRequest {
  const at = `${recordsPath}: ${environment}.history[${index}]`;
  const imageTagSource = `${at}.imageTag`;
  if (release !== undefined) {
    if (!releaseOf(release)) throw new UserError(`--release: "${release}" is not a release version (like 0.8.0)`);
    return { imageTag: entry.imageTag, contractTag: release, imageTagSource, contractTagSource: '--release' };
  }
  if (entry.contractTag !== undefined) return { imageTag: entry.imageTag, contractTag: entry.contractTag, imageTagSource, contractTagSource: `${at}.contractTag` };
  if (DIGEST_RE.test(entry.imageTag)) {
    throw new UserError(
      `${imageTagSource}: the release of ${entry.imageTag} is unknown: deploy.json does not record which release it was deployed as, and serving it as the latest (${LATEST_RELEASE}) could start helper containers the image lacks`,
      `roll back by version tag (\`benchling-deploy deploy --environment ${environment} --image-tag VERSION\`), or pass the version (\`benchling-deploy rollback --environment ${environment} --release VERSION\`); nothing was changed`,
    );
  }
  return { imageTag: entry.imageTag, imageTagSource };
}

/** Why there is nothing to roll back to, and what to do instead. */
export function noRollbackError(environment: EnvironmentName, recordsPath: string): UserError {
  return new UserError(
    `rollback: deploy.json has no earlier ${environment} image to go back to (${recordsPath})`,
    `deploy a specific version instead: \`benchling-deploy deploy --environment ${environment} --image-tag T\``,
  );
}
