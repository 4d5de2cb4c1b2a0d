import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { makeTempDir, newCdkLogFile, removeTempDir } from './work-files.js';
import { join } from 'node:path';
import { displayLine } from '../display-text.js';
import { ExternalError, UserError, UserErrors } from '../errors.js';
import { awsFailure, classifyAwsError, loginHint, looksLikeAwsError } from '../state/aws-errors.js';
import type { EnvironmentName, ResolvedProfile } from '../config/schema.js';
import { DIGEST_RE, ENVIRONMENTS, QUILT_STACK_ARN_RE } from '../config/schema.js';
import { DEFAULT_PROFILE_FOR, requirePackageBuckets, type DeployTarget, type StackProfiles } from '../config/pairing.js';
import { profilePath } from '../config/paths.js';
import { buildSecretValue } from '../config/secret-value.js';
import { lockPathFor, readDeployRecords, recordDeploy, type EnvironmentRecord } from '../state/deploy-records.js';
import { acquireLock, type HeldLock } from '../config/lock.js';
import type { HeldAccountLock, Team } from '../state/team-records.js';
import { INLINE_TEMPLATE_LIMIT, PARAMETER_SUFFIXES, imageRepositoryParts, outputName, parameterName, type ParameterSuffix } from '../config/names.js';
import { runCdk, type CdkResult } from './runner.js';
import { isFailure, parseResourceEvent, resourceLabel, summarizeDiff } from './cdk-output.js';
import type { DeployEvent, ResourceEvent, RolloutStatus } from '../state/deploy-events.js';
import { LATEST_RELEASE, OLDEST_RELEASE, UNSERVABLE, consumersFor, contractRelease, unservableProblem, type ConsumerSet } from './container-contract.js';
import { deployedProdEndpoint, foreseeReplacements, keptIdsOf, removedResources, olderToolStack, parseDeployedTemplate, sameEndpoint, type DeployedTemplate, type ForeseenReplacement, type KeptIds, type OlderToolStack } from './upgrade.js';
import { quiltValuesOf, readQuiltStack, resolveQuiltValues, type QuiltResolution, type QuiltStackRead, type QuiltStackReader, type QuiltValues } from './quilt-values.js';

/** The AWS calls a deploy needs, as a narrow interface (real clients or the fake endpoint). */
export interface DeployAws extends QuiltStackReader {
  callerIdentity(): Promise<{ account: string; arn: string }>;
  /** Undefined when the stack does not exist. */
  describeStack(stackName: string): Promise<StackDescription | undefined>;
  /** The deployed stack's template body (GetTemplate); undefined when the stack does not exist. */
  deployedTemplate(stackName: string): Promise<string | undefined>;
  secretExists(name: string): Promise<boolean>;
  createSecret(name: string, value: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Reasons of the service's recently stopped tasks, newest first. */
  stoppedTaskReasons(cluster: string, service: string): Promise<string[]>;
  /** A target group's targets by health. */
  targetHealth(targetGroupArn: string): Promise<{ healthy: number; unhealthy: number; other: number }>;
  /** The service's rollout as ECS tells it. */
  serviceRollout(cluster: string, service: string): Promise<RolloutStatus | undefined>;
  /**
   * The deployment alarms that rolled the service back in a rollback ECS
   * started at or after `since` (ISO time); empty when none did. Absent:
   * a failed deploy does not look.
   */
  alarmRollback?(cluster: string, service: string, since: string): Promise<string[]>;
}

export interface StackDescription {
  readonly status: string;
  readonly statusReason?: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * Stack states that hold no resources: deleted, or a first change set that was
 * never executed (REVIEW_IN_PROGRESS, left by a first deploy cancelled while
 * CloudFormation prepared it). cdk creates such a stack afresh, and so does a
 * deploy: it is new, not blocked.
 */
export function isStackAbsent(status: string): boolean {
  return status === 'DELETE_COMPLETE' || status === 'REVIEW_IN_PROGRESS';
}

/** Stack states CloudFormation will not update, with what the operator should do. */
export function blockedStackState(status: string): string | undefined {
  if (isStackAbsent(status)) return undefined;
  if (status === 'ROLLBACK_COMPLETE') return 'the stack\'s first creation failed and was rolled back; it can only be deleted: run `benchling-deploy destroy`, then deploy again';
  if (status.endsWith('_IN_PROGRESS')) return `another operation is running on the stack (${displayLine(status, 80)}); wait for it to finish (\`benchling-deploy status\`), then deploy again`;
  if (status.endsWith('_FAILED') && status !== 'UPDATE_ROLLBACK_FAILED' && status !== 'ROLLBACK_FAILED' && status !== 'DELETE_FAILED') return undefined;
  if (status === 'UPDATE_ROLLBACK_FAILED') return 'the stack is UPDATE_ROLLBACK_FAILED; continue the rollback in the CloudFormation console (Stack actions > Continue update rollback), then deploy again';
  if (status === 'ROLLBACK_FAILED' || status === 'DELETE_FAILED') return `the stack is ${status}; delete it (\`benchling-deploy destroy\`) and deploy again`;
  return undefined;
}

export interface DeployRequest {
  readonly target: DeployTarget;
  /** The tag or digest to deploy; default the profile's. */
  readonly imageTag?: string;
  readonly awsProfile?: string;
  readonly configDir: string;
  /** deploy.json */
  readonly recordsPath: string;
  /**
   * A folder for the assembly and cdk's scratch files; default a fresh
   * temporary one, removed with the plan. The cdk log goes to the config folder's `logs/`.
   */
  readonly workDir?: string;
  /** What is running: `deploy prod`, `promote`, `rollback prod`; shown to a second deploy. */
  readonly purpose: string;
  /**
   * The tag whose release decides what the image is served as (its
   * `<Env>Consumers`), when the image deployed is named otherwise: promote
   * deploys dev's digest, the same image as dev's tag. Default: the image tag.
   */
  readonly contractTag?: string;
  /** Where an image tag given here came from (`--image-tag`, a deploy.json history entry), named in a refusal. */
  readonly imageTagSource?: string;
  /** Where the contract tag came from, named in a refusal. */
  readonly contractTagSource?: string;
  /**
   * Team mode (the account's records and lock, src/state/team-records.ts):
   * the account's lock is taken beside the local one, deploy.json is
   * refreshed from the account first, and a deploy that succeeded is
   * recorded there too. Absent: local only.
   */
  readonly team?: Team;
}

/** What the deployed image is served as: the release whose contract it follows. */
export interface PlannedContract {
  /** The tag the release was read from (the image tag, or promote's dev tag). */
  readonly tag: string;
  readonly release: string;
  /** The tag names no known release (latest, a digest, a custom tag): the latest release's contract is used. */
  readonly assumed: boolean;
  readonly consumers: ConsumerSet;
  /** Where the contract tag came from when not the image tag nor promote's dev tag (rollback: the deploy.json entry). */
  readonly source?: string;
}

/** What this deploy does to an environment it is not deploying. */
export interface OtherEnvironment {
  readonly environment: EnvironmentName;
  /**
   * `kept`: its parameters keep their previous values, its service stays as it
   * runs; `updated`: the stack holds it but not all of its parameters (they are
   * new in the template), so this deploy passes them and its service is
   * updated; `created`: the stack does not hold it yet.
   */
  readonly change: 'kept' | 'updated' | 'created';
  /** Its parameters this deploy passes (in {@link DeployPlan.parameters}). */
  readonly passed: readonly string[];
}

export interface DeployPlan {
  readonly environment: EnvironmentName;
  readonly profile: ResolvedProfile;
  /** Every environment's profile: a first deploy creates the others' secrets too. */
  readonly profiles: StackProfiles;
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly callerArn: string;
  readonly oldTag: string | null;
  readonly newTag: string;
  /** This environment's ECS service, when the stack already has it (from the outputs read in the pre-flight). */
  readonly service?: { readonly cluster: string; readonly service: string };
  /** The stack's other environments, whose running services this deploy leaves as they are (unless {@link others} says otherwise). */
  readonly otherEnvironments: readonly EnvironmentName[];
  /** What happens to each other environment. */
  readonly others: readonly OtherEnvironment[];
  readonly contract: PlannedContract;
  /**
   * The Quilt values of every environment whose parameters this deploy passes
   * (this one first), with where each came from.
   */
  readonly quilt: readonly QuiltResolution[];
  /** False on the stack's first deploy: every environment of the template is created. */
  readonly stackExists: boolean;
  /**
   * The secrets of every environment this deploy creates or updates (this one
   * always; on the stack's first deploy the others too), and which are
   * missing and made from their profiles before cdk runs.
   */
  readonly secrets: readonly PlannedSecret[];
  /**
   * Parameters passed to cdk: this environment's, and of another environment
   * only those the stack does not hold yet (a first deploy, or parameters new
   * in the template); the rest keep their previous values.
   */
  readonly parameters: Readonly<Record<string, string>>;
  /**
   * The other environments' parameters as the stack holds them now. `cdk
   * deploy` keeps them (CloudFormation's UsePreviousValue), but `cdk diff`
   * builds its change set from the parameters it is given and the template's
   * defaults, so the diff passes these to show what the deploy will really do.
   */
  readonly keptParameters: Readonly<Record<string, string>>;
  /** This environment's parameters as the stack holds them now (empty when the stack or the environment is new): the plan's cost change compares with them. */
  readonly deployedParameters: Readonly<Record<string, string>>;
  readonly assemblyDir: string;
  readonly workDir: string;
  /** The work folder is the plan's own temporary one: disposing of the plan removes it. */
  readonly ownsWorkDir: boolean;
  /** cdk's full output, kept after the plan (the config folder's `logs/`). */
  readonly logFile: string;
  /** Environment of the cdk process (region, credentials profile). */
  readonly cdkEnv: Readonly<Record<string, string>>;
  readonly lock: HeldLock;
  /**
   * What this deploy replaces of what users depend on (the API, the load
   * balancer, the running prod service), or the upgrade of the older tool's
   * stack; undefined when neither.
   */
  readonly replacement?: PlannedReplacement;
  /** Environments with a profile that this deploy leaves out: the first upgrade of the older tool's stack deploys prod only. */
  readonly joinsLater: readonly EnvironmentName[];
  /** The stack's lock in the account (team mode), renewed while held; null when the account cannot be used. */
  readonly accountLock?: HeldAccountLock | null;
  readonly team?: Team;
  /** What is running (the request's purpose). */
  readonly purpose?: string;
  /** deploy.json, written only after a deploy that succeeded. */
  readonly recordsPath: string;
  readonly previousRecord?: EnvironmentRecord;
}

/** What the plan says before a deploy replaces what users depend on. */
export interface PlannedReplacement {
  /** The older tool's stack this deploy upgrades in place. */
  readonly olderTool?: OlderToolStack;
  /** The API, load balancers and prod services replaced (empty: none). */
  readonly replaced: readonly ForeseenReplacement[];
  /** Every other deployed resource the new template does not hold: deleted once the update is done. */
  readonly removed?: readonly { readonly logicalId: string; readonly type: string; readonly retained: boolean }[];
  /** Deployed ids this stack takes over (the API, its routes, the prod stage), so they are updated, not replaced. */
  readonly kept?: KeptIds;
  /** The prod endpoint now (the stack's output), when it has one. */
  readonly endpointBefore?: string;
  /** The prod endpoint after the deploy; undefined when a new API gives a new URL, known only once it exists. */
  readonly endpointAfter?: string;
  /** Whether the prod stage is kept and waits for the new prod service before it switches (no interruption expected). */
  readonly stageWaits: boolean;
}

export interface PlannedSecret {
  readonly environment: EnvironmentName;
  readonly name: string;
  /** Missing: created from the environment's profile before cdk runs. */
  readonly create: boolean;
}

export interface Synthesizer {
  /**
   * Synthesizes the stack into `outDir`; returns the assembly folder, whether it has assets, and the template's inline size (synth.ts `inlineTemplateSize`).
   * `keep`: deployed logical ids the stack takes over (upgrade.ts).
   */
  (profiles: StackProfiles, outDir: string, options?: { readonly keep?: KeptIds }): Promise<{ assemblyDir: string; hasAssets: boolean; templateBodySize: number }>;
}

/** A call started ahead of where its answer is taken: its rejection is seen there, and is not unhandled if that is never reached. */
function started<T>(call: Promise<T>): Promise<T> {
  call.catch(() => undefined);
  return call;
}

/**
 * Everything checked before anything changes: profiles and pairing (done by
 * the caller), deploy.json readable, the lock, credentials and account, the
 * stack's state, the secret, bootstrap. Holds the lock on success; the caller
 * releases it (plan.lock) when done or refused.
 */
export async function prepareDeploy(request: DeployRequest, aws: DeployAws, synth: Synthesizer): Promise<DeployPlan> {
  const { target } = request;
  const environment = target.environment;
  const profile = target.profile;
  const newTag = request.imageTag ?? profile.imageTag;
  if (environment === 'prod' && newTag === 'latest') {
    throw new UserError('--image-tag: prod must not run "latest"; give a fixed version tag or sha256:<64 hex>');
  }
  requirePackageBuckets(target, request.configDir, 'deploy');
  const contractTag = request.contractTag ?? newTag;
  for (const tag of new Set([newTag, contractTag])) {
    const where =
      tag === newTag
        ? request.imageTag === undefined ? `${profilePath(request.configDir, profile.profile)}: imageTag` : request.imageTagSource
        : request.contractTagSource;
    refuseUnservable(tag, where);
  }
  const contract: PlannedContract = { tag: contractTag, ...contractRelease(contractTag), consumers: consumersFor(contractTag), ...(request.contractTagSource ? { source: request.contractTagSource } : {}) };
  let records = readDeployRecords(request.recordsPath);
  if (records.state === 'malformed') {
    if (records.fsError instanceof Error) throw records.fsError;
    if (records.hint) throw new UserError(`${records.error}\na deploy would have nowhere to record itself`, records.hint);
    throw new UserError(`${records.error}; a deploy would have nowhere to record itself`, `the file is kept as it is; fix it, or move it aside (mv ${request.recordsPath} ${request.recordsPath}.bad), then deploy again`);
  }
  const lock = acquireLock(lockPathFor(request.recordsPath), request.purpose);
  let ownedWorkDir: string | undefined;
  let accountLock: HeldAccountLock | null = null;
  try {
    const identity = await credentialsCheck(aws, request.awsProfile ?? profile.awsProfile);
    if (identity.account !== target.place.account) {
      throw new UserError(
        `the AWS credentials are for account ${displayLine(identity.account, 40)} (${displayLine(identity.arn, 300)}), but the stack lives in account ${target.place.account} (from the prod profile)`,
        'use --aws-profile with credentials for that account, or set `account` in the prod profile',
      );
    }
    // The target's Quilt stack is read while the team's lock and the stack are: that read waits on
    // nothing below and reports a failure as a value, which is looked at where it always was.
    const reads = new Map<string, Promise<QuiltStackRead>>();
    const readOnce = (arn: string) => {
      let read = reads.get(arn);
      if (!read) reads.set(arn, (read = readQuiltStack(aws, arn, identity.account)));
      return read;
    };
    started(readOnce(profile.quiltStackArn));
    if (request.team) {
      // One deploy of the stack at a time from anywhere; then deploy.json as the account knows it.
      accountLock = await request.team.acquireLock(request.purpose, environment);
      await request.team.refresh(target.dev ? ['dev', 'prod'] : ['prod'], { lock });
      const refreshed = readDeployRecords(request.recordsPath);
      if (refreshed.state !== 'malformed') records = refreshed;
    }
    const stack = await aws.describeStack(target.place.stackName);
    const blocked = stack ? blockedStackState(stack.status) : undefined;
    if (blocked) throw new ExternalError(`stack ${target.place.stackName} cannot be updated now: ${blocked}`);
    const stackExists = stack !== undefined && !isStackAbsent(stack.status);
    // The target environment's secret (every deploy looks for it) is looked up while the deployed template is read; its answer, or its error, is taken below.
    const targetSecret = started(aws.secretExists(profile.benchlingSecret));
    // What is deployed decides which ids the template keeps: the older tool's API and prod stage, or those this stack took over from it.
    const deployedTemplate = stackExists ? parseDeployedTemplate(await aws.deployedTemplate(target.place.stackName)) : undefined;
    const olderTool = olderToolStack(deployedTemplate);
    const keep = olderTool && !olderTool.recognized ? undefined : keptIdsOf(deployedTemplate);
    if (olderTool && environment !== 'prod') {
      throw new UserError(
        `stack ${target.place.stackName} was made by the older benchling-webhook tool (${olderTool.version}) and runs prod only; the first upgrade deploys prod`,
        'deploy prod first (`benchling-deploy deploy --environment prod`), then dev joins on its own first deploy; nothing was changed',
      );
    }
    // The first upgrade deploys prod alone: dev joins on its own first deploy.
    const joinsLater: EnvironmentName[] = olderTool && target.dev ? ['dev'] : [];
    const profileEnvironments: EnvironmentName[] = target.dev && joinsLater.length === 0 ? ['dev', 'prod'] : ['prod'];
    if (stack && stackExists) {
      // The template comes from the profiles: an environment the stack holds but no profile describes would be deleted.
      for (const env of ENVIRONMENTS) {
        const inStack = stack.outputs[outputName(env, 'ServiceName')] !== undefined || stack.parameters[parameterName(env, 'ImageTag')] !== undefined;
        if (inStack && !profileEnvironments.includes(env)) {
          const path = profilePath(request.configDir, DEFAULT_PROFILE_FOR[env]);
          throw new UserError(
            `stack ${target.place.stackName} holds the ${env} environment, but there is no ${env} profile (${path}); this deploy would delete ${env}'s service, stage and roles`,
            `restore ${path} (\`benchling-deploy setup-profile ${DEFAULT_PROFILE_FOR[env]} --environment ${env}\`), then deploy again`,
          );
        }
      }
    }

    // Every environment this deploy creates needs its secret before its tasks start: on the
    // stack's first deploy that includes the environment not asked for, whose tasks would
    // otherwise fail their start and roll the whole new stack back.
    const secrets: PlannedSecret[] = [];
    for (const env of [environment, ...profileEnvironments.filter((e) => e !== environment)]) {
      const envProfile = profileIn(target, env);
      const created = env === environment || !stackExists || (stack !== undefined && serviceIn(stack.outputs, env) === undefined);
      if (!created) continue;
      const name = envProfile.benchlingSecret;
      if (await (env === environment ? targetSecret : aws.secretExists(name))) {
        secrets.push({ environment: env, name, create: false });
        continue;
      }
      const built = buildSecretValue(envProfile);
      if (!built.ok) {
        const why = env === environment ? 'which does not exist yet' : `which does not exist yet; this deploy also creates ${env}'s service, whose tasks read it`;
        throw new UserErrors(
          built.missing.map((f) => `${profilePath(request.configDir, envProfile.profile)}: ${f}: needed to create the secret ${name}, ${why}`),
          `set ${built.missing.join(' and ')} (\`benchling-deploy setup-profile ${envProfile.profile}\`), or create the secret yourself`,
        );
      }
      secrets.push({ environment: env, name, create: true });
    }

    // What each environment whose parameters are passed needs of its Quilt stack: this one
    // always; another one when the stack does not hold all of its parameters yet.
    const others: OtherEnvironment[] = [];
    const pending: { env: EnvironmentName; profile: ResolvedProfile; tag: string; contractTag?: string; missing: string[]; change: 'updated' | 'created' }[] = [];
    for (const other of profileEnvironments.filter((e) => e !== environment)) {
      const held = (suffix: ParameterSuffix) => (stackExists ? stack?.parameters[parameterName(other, suffix)] : undefined);
      const missing = PARAMETER_SUFFIXES.filter((suffix) => held(suffix) === undefined).map((suffix) => parameterName(other, suffix));
      if (missing.length === 0) {
        others.push({ environment: other, change: 'kept', passed: [] });
        continue;
      }
      // Its values follow what it runs: the Quilt stack its service was deployed with, when the stack says.
      const heldArn = held('QuiltStackArn');
      const ownProfile = profileOf({ environment, profile, profiles: target }, other);
      const otherProfile = heldArn !== undefined && QUILT_STACK_ARN_RE.test(heldArn) ? { ...ownProfile, quiltStackArn: heldArn } : ownProfile;
      const running = held('ImageTag');
      const inStack = running !== undefined || (stack !== undefined && stackExists && serviceIn(stack.outputs, other) !== undefined);
      const tag = running ?? otherProfile.imageTag;
      // An environment this deploy creates must be able to run its image.
      if (running === undefined) refuseUnservable(tag, `${profilePath(request.configDir, otherProfile.profile)}: imageTag`, `this deploy also creates ${other}'s service`);
      // Its consumers follow the release its image was deployed as: a tag that names no release says
      // nothing of it, so deploy.json's record of that deploy does; a digest with none is refused (a
      // promoted 0.8 digest served as the latest release would get helper containers it lacks).
      let otherContract: string | undefined;
      if (running !== undefined && missing.includes(parameterName(other, 'Consumers')) && contractRelease(running).assumed) {
        const record = records.state === 'ok' ? records.records[other] : undefined;
        otherContract = record?.imageTag === running ? record.contractTag : undefined;
        if (otherContract === undefined && isDigest(running)) {
          throw new UserError(
            `stack ${target.place.stackName}: ${parameterName(other, 'ImageTag')}: ${other} runs ${running}, whose release is unknown, and ${request.recordsPath} does not record which release it was deployed as; this deploy would set ${parameterName(other, 'Consumers')} for ${other}'s running service without knowing what the image needs`,
            `deploy ${other} first by its version tag (\`benchling-deploy deploy --environment ${other} --image-tag VERSION\`); nothing was changed`,
          );
        }
        if (otherContract !== undefined) refuseUnservable(otherContract, `${request.recordsPath}: ${other}.contractTag`);
      }
      pending.push({ env: other, profile: otherProfile, tag, contractTag: otherContract, missing, change: inStack ? 'updated' : 'created' });
    }
    const quilt: QuiltResolution[] = [resolveQuiltValues(profile, await readOnce(profile.quiltStackArn), profilePath(request.configDir, profile.profile))];
    const otherParameters: Record<string, string> = {};
    for (const p of pending) {
      const resolution = resolveQuiltValues(p.profile, await readOnce(p.profile.quiltStackArn), profilePath(request.configDir, p.profile.profile));
      quilt.push(resolution);
      const all = environmentParameters(p.env, p.profile, { imageTag: p.tag, contractTag: p.contractTag, quilt: quiltValuesOf(resolution) });
      for (const name of p.missing) otherParameters[name] = all[name];
      others.push({ environment: p.env, change: p.change, passed: p.missing });
    }

    ownedWorkDir = request.workDir ? undefined : makeTempDir();
    const workDir = request.workDir ?? ownedWorkDir!;
    mkdirSync(workDir, { recursive: true });
    const assemblyOut = mkdtempSync(join(workDir, 'assembly-'));
    const synthProfiles: StackProfiles = joinsLater.length > 0 ? { place: target.place, prod: target.prod } : target;
    // Whether the account is bootstrapped is asked while the stack is synthesized; the answer counts only when
    // the template needs it (assets, or too large to send inline: two environments' is), its error only then too.
    const toolkit = started(aws.describeStack('CDKToolkit'));
    const { assemblyDir, hasAssets, templateBodySize } = await synth(synthProfiles, assemblyOut, keep ? { keep } : {});
    const replacement = deployedTemplate && stack ? plannedReplacement(deployedTemplate, readTemplate(assemblyDir, target.place.stackName), olderTool, keep, stack.outputs, target.place.region) : undefined;
    const tooLarge = templateBodySize > INLINE_TEMPLATE_LIMIT;
    if ((hasAssets || tooLarge) && !(await toolkit)) {
      const why = tooLarge
        ? `the template is ${Math.round(templateBodySize / 1024)} KiB, over the ${INLINE_TEMPLATE_LIMIT / 1024} KiB CloudFormation takes inline, so cdk uploads it to the bootstrap bucket`
        : 'the template has assets';
      throw new ExternalError(`${why}, and account ${target.place.account} in ${target.place.region} is not bootstrapped for the CDK`, {
        hint: `run \`npx cdk bootstrap aws://${target.place.account}/${target.place.region}\` once, then deploy again${tooLarge ? ' (or shorten webhookAllowList)' : ''}`,
      });
    }
    const previousRecord = records.state === 'ok' ? records.records[environment] : undefined;
    const oldTag = stack?.parameters[parameterName(environment, 'ImageTag')] ?? (olderTool ? stack?.parameters.ImageTag : undefined) ?? previousRecord?.imageTag ?? null;
    const parameters = { ...otherParameters, ...environmentParameters(environment, profile, { imageTag: newTag, contractTag, quilt: quiltValuesOf(quilt[0]) }) };
    const keptParameters: Record<string, string> = {};
    for (const other of profileEnvironments.filter((e) => e !== environment)) {
      for (const suffix of PARAMETER_SUFFIXES) {
        const value = stackExists ? stack?.parameters[parameterName(other, suffix)] : undefined;
        if (value !== undefined) keptParameters[parameterName(other, suffix)] = value;
      }
    }
    const deployedParameters: Record<string, string> = {};
    for (const suffix of PARAMETER_SUFFIXES) {
      const value = stackExists ? stack?.parameters[parameterName(environment, suffix)] : undefined;
      if (value !== undefined) deployedParameters[parameterName(environment, suffix)] = value;
    }
    const awsProfile = request.awsProfile ?? profile.awsProfile;
    const cdkEnv: Record<string, string> = {
      AWS_REGION: target.place.region,
      AWS_DEFAULT_REGION: target.place.region,
      ...(awsProfile ? { AWS_PROFILE: awsProfile } : {}),
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    };
    return {
      environment,
      profile,
      profiles: target,
      stackName: target.place.stackName,
      region: target.place.region,
      account: target.place.account,
      callerArn: identity.arn,
      oldTag,
      newTag,
      stackExists,
      service: stack ? serviceIn(stack.outputs, environment) : undefined,
      otherEnvironments: profileEnvironments.filter((e) => e !== environment),
      others,
      contract,
      quilt,
      secrets,
      parameters,
      keptParameters,
      deployedParameters,
      assemblyDir,
      workDir,
      ownsWorkDir: ownedWorkDir !== undefined,
      logFile: newCdkLogFile(request.configDir, request.purpose),
      cdkEnv,
      lock,
      ...(replacement ? { replacement } : {}),
      joinsLater,
      accountLock,
      team: request.team,
      purpose: request.purpose,
      recordsPath: request.recordsPath,
      previousRecord,
    };
  } catch (error) {
    lock.release();
    await accountLock?.release();
    if (ownedWorkDir) removeTempDir(ownedWorkDir);
    throw error;
  }
}

/** The template synthesized into the assembly, for comparing with the deployed one. */
function readTemplate(assemblyDir: string, stackName: string): DeployedTemplate {
  const template = parseDeployedTemplate(readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8'));
  if (!template) throw new Error(`the synthesized template of ${stackName} could not be read back`);
  return template;
}

/**
 * The plan's replacement section: undefined when the deploy replaces nothing
 * users depend on and upgrades no older stack.
 */
function plannedReplacement(
  deployed: DeployedTemplate,
  next: DeployedTemplate,
  olderTool: OlderToolStack | undefined,
  keep: KeptIds | undefined,
  outputs: Readonly<Record<string, string>>,
  region: string,
): PlannedReplacement | undefined {
  const replaced = foreseeReplacements(deployed, next);
  if (replaced.length === 0 && !olderTool) return undefined;
  const before = deployedProdEndpoint(outputs);
  const apiReplaced = replaced.some((r) => r.role === 'api');
  const apiId = keep?.restApi !== undefined ? (outputs.ApiId ?? outputs.ApiGatewayId) : undefined;
  const endpointAfter = apiReplaced ? undefined : before !== undefined ? sameEndpoint(before) : apiId ? `https://${apiId}.execute-api.${region}.amazonaws.com/prod` : undefined;
  // The stage waits for the service only where this stack gave the kept stage that dependency (webhook-stack.ts takeOver).
  const stage = keep?.prodStage !== undefined ? next.Resources[keep.prodStage] : undefined;
  const prodService = next.Outputs?.[outputName('prod', 'ServiceName')]?.Value as { 'Fn::GetAtt'?: unknown[] } | undefined;
  const dependsOn = stage?.DependsOn === undefined ? [] : Array.isArray(stage.DependsOn) ? stage.DependsOn : [stage.DependsOn];
  const stageWaits = prodService?.['Fn::GetAtt']?.[0] !== undefined && dependsOn.includes(prodService['Fn::GetAtt'][0]);
  const named = new Set(replaced.map((r) => r.logicalId));
  const removed = removedResources(deployed, next).filter((r) => !named.has(r.logicalId));
  return { ...(olderTool ? { olderTool } : {}), replaced, removed, ...(keep ? { kept: keep } : {}), ...(before !== undefined ? { endpointBefore: before } : {}), ...(endpointAfter ? { endpointAfter } : {}), stageWaits };
}

/** What {@link environmentParameters} needs beyond the profile. */
export interface EnvironmentValues {
  /** The tag or digest to run. */
  readonly imageTag: string;
  /** The tag whose release decides `<Env>Consumers` (promote: dev's tag); default `imageTag`. */
  readonly contractTag?: string;
  /** The environment's Quilt values, resolved from its profile and its Quilt stack's outputs. */
  readonly quilt: QuiltValues;
}

/**
 * What a deploy of `environment` passes to CloudFormation: every one of its
 * parameters, from its profile (the image tag from the command line when
 * given), its Quilt stack, and the image's contract; none of the other
 * environment's, which keep their previous values. The profile's values are
 * also the parameters' defaults in the template (the Quilt ones only where the
 * profile gives them).
 */
export function environmentParameters(environment: EnvironmentName, profile: ResolvedProfile, values: EnvironmentValues): Record<string, string> {
  const repository = imageRepositoryParts(profile.imageRepository);
  if (!repository) throw new UserError(`profile "${profile.profile}": imageRepository: expected an ECR repository URI: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`);
  if (!profile.pkgBucket) throw new UserError(`profile "${profile.profile}": pkgBucket: required to deploy: the S3 bucket the container writes packages to`);
  const byName: Record<ParameterSuffix, string> = {
    ImageTag: values.imageTag,
    SecretName: profile.benchlingSecret,
    MinCapacity: String(profile.minCapacity),
    MaxCapacity: String(profile.maxCapacity),
    Cpu: String(profile.cpu),
    Memory: String(profile.memory),
    LogLevel: profile.logLevel,
    QuiltStackArn: profile.quiltStackArn,
    ImageAccount: repository.account,
    ImageRegion: repository.region,
    ImageRepositoryName: repository.name,
    WebhookVerification: String(profile.webhookVerification),
    PackageBucket: profile.pkgBucket,
    QuiltWebHost: values.quilt.quiltWebHost,
    PackagerQueueUrl: values.quilt.packagerQueueUrl,
    AthenaDatabase: values.quilt.athenaUserDatabase,
    AthenaWorkgroup: values.quilt.athenaUserWorkgroup,
    Consumers: consumersFor(values.contractTag ?? values.imageTag),
  };
  return Object.fromEntries(PARAMETER_SUFFIXES.map((suffix) => [parameterName(environment, suffix), byName[suffix]]));
}

/**
 * Refuses an image the stack cannot serve, with the contract's reason. `where`
 * names the file and field the tag came from, when it came from a profile.
 */
export function refuseUnservable(tag: string, where?: string, why?: string): void {
  const problem = unservableProblem(tag, where, why);
  if (!problem) return;
  const skipped = UNSERVABLE.map((u) => (u.from === u.until ? u.from : `${u.from} to ${u.until}`)).join(', ');
  throw new UserError(
    problem,
    `choose another image (--image-tag): the stack serves releases from ${OLDEST_RELEASE} on (${LATEST_RELEASE} is the latest it knows), except ${skipped}; nothing was changed`,
  );
}

async function credentialsCheck(aws: DeployAws, awsProfile: string | undefined): Promise<{ account: string; arn: string }> {
  try {
    return await aws.callerIdentity();
  } catch (error) {
    throw credentialsError(error, awsProfile);
  }
}

/** Turns a credentials failure into words that say how to log in again. */
export function credentialsError(error: unknown, awsProfile: string | undefined): ExternalError | UserError {
  // An AWS profile that does not exist is the user's input, not a login to renew.
  if (error instanceof UserError) return error;
  const problem = classifyAwsError(error);
  if (problem.kind !== 'credentials' && looksLikeAwsError(error)) return awsFailure(error, { awsProfile, doing: 'checking the AWS credentials' });
  const e = error as { name?: string; message?: string };
  const expired = /Expired/i.test(e.name ?? '') || /expired/i.test(e.message ?? '');
  const what = expired ? 'the AWS credentials have expired' : `no usable AWS credentials (${problem.message})`;
  return new ExternalError(what, { hint: loginHint(awsProfile), command: 'sts:GetCallerIdentity', cause: error });
}

/**
 * `cdk` arguments shared by diff and deploy: the synthesized assembly and
 * parameters (a deploy passes this environment's only; a diff also the
 * others' current values, see {@link DeployPlan.keptParameters}).
 */
function cdkArgs(plan: DeployPlan, parameters: Readonly<Record<string, string>> = plan.parameters): string[] {
  const args = ['--app', plan.assemblyDir, '--no-notices', '--no-version-reporting', '--ci'];
  for (const [k, v] of Object.entries(parameters)) args.push('--parameters', `${plan.stackName}:${k}=${v}`);
  return args;
}

/**
 * The resource changes a deploy of this plan would make (`cdk diff`), from a
 * CloudFormation change set. `--method=change-set`: when cdk cannot create one
 * (no permission; a template over 50 KiB that no deploy has uploaded yet), it
 * would otherwise fall back to comparing templates, which shows nothing of a
 * deploy that changes only parameters (an image tag); that is a failure here.
 */
export async function diffPlan(plan: DeployPlan, signal?: AbortSignal): Promise<string[]> {
  const result = await runCdk({ args: ['diff', '--method=change-set', ...cdkArgs(plan, { ...plan.keptParameters, ...plan.parameters }), plan.stackName], cwd: plan.workDir, env: plan.cdkEnv, logFile: plan.logFile, signal, onProcess: (pid) => plan.lock.noteCdk(pid) });
  // cdk diff exits 1 when there are differences with --fail; without it 0. Anything else is a failure.
  if (result.outcome !== 'succeeded') throw cdkFailure('cdk diff', result);
  return summarizeDiff(result.stdout);
}

export type { DeployEvent, RolloutStatus } from '../state/deploy-events.js';

export type DeployOutcome =
  | { readonly outcome: 'succeeded'; readonly endpoint: string; readonly record: EnvironmentRecord; readonly logFile: string }
  /** cdk succeeded (the stack runs the image) but deploy.json could not be written: `error` says why. */
  | { readonly outcome: 'unrecorded'; readonly endpoint: string; readonly error: string; readonly logFile: string }
  | { readonly outcome: 'failed'; readonly reasons: readonly string[]; readonly stackStatus: string | null; readonly logFile: string; readonly exitCode: number | null }
  | { readonly outcome: 'cancelled'; readonly stackStatus: string | null; readonly logFile: string };

export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: DeployEvent) => void;
  /** How often the service's rollout is read while cdk runs. */
  readonly rolloutEveryMs?: number;
  readonly now?: () => Date;
}

/**
 * Runs the deploy: creates the secret when the plan says so, runs `cdk deploy`
 * with progress, and records deploy.json only when cdk succeeded. A failure or
 * a cancel leaves deploy.json as it was. Releases the plan's lock.
 */
export async function executeDeploy(plan: DeployPlan, aws: DeployAws, options: ExecuteOptions = {}): Promise<DeployOutcome> {
  const emit = options.onEvent ?? (() => {});
  const now = options.now ?? (() => new Date());
  // A rollback by alarm counts when ECS started it after this deploy did (a little clock skew allowed).
  const since = new Date(Date.now() - CLOCK_SKEW_MS).toISOString();
  try {
    for (const secret of plan.secrets.filter((x) => x.create)) {
      emit({ type: 'phase', phase: 'secret', secret: secret.name });
      const envProfile = profileIn(plan.profiles, secret.environment);
      const built = buildSecretValue(envProfile);
      if (!built.ok) throw new UserError(`profile "${envProfile.profile}": ${built.missing.join(', ')}: needed to create the secret`);
      await aws.createSecret(secret.name, JSON.stringify(built.value), { Environment: secret.environment, ManagedBy: 'benchling-deploy' });
    }
    emit({ type: 'phase', phase: 'deploying' });
    const outputsFile = join(plan.workDir, 'outputs.json');
    const failures: string[] = [];
    const rollout = watchRollout(plan, aws, emit, options.rolloutEveryMs ?? 5_000);
    let result: CdkResult;
    try {
      result = await runCdk({
        args: ['deploy', ...cdkArgs(plan), '--require-approval', 'never', '--progress', 'events', '--outputs-file', outputsFile, plan.stackName],
        cwd: plan.workDir,
        env: plan.cdkEnv,
        logFile: plan.logFile,
        signal: options.signal,
        onProcess: (pid) => plan.lock.noteCdk(pid),
        onLine: (line) => {
          emit({ type: 'line', line });
          const event = parseResourceEvent(line);
          if (event) {
            emit({ type: 'resource', event });
            if (isFailure(event.status) && event.reason && !/cancelled|Resource update cancelled/i.test(event.reason)) failures.push(displayLine(`${resourceLabel(event)} ${event.resourceType}: ${event.status}: ${event.reason}`, REASON_MAX));
          }
        },
      });
    } finally {
      await rollout.stop();
    }
    if (result.outcome === 'succeeded') {
      const outputs = readOutputs(outputsFile, plan.stackName);
      const endpoint = outputs[outputName(plan.environment, 'Endpoint')];
      if (!endpoint) {
        return { outcome: 'failed', reasons: [`cdk succeeded but the stack has no ${outputName(plan.environment, 'Endpoint')} output`], stackStatus: null, logFile: plan.logFile, exitCode: 0 };
      }
      emit({ type: 'phase', phase: 'recording' });
      let record: EnvironmentRecord;
      try {
        // The release it is served as goes with it: a rollback to this image (a digest too) serves it the same way.
        const imageDigest = await runningDigest(plan, aws);
        const deployedAt = now().toISOString();
        // The account first (team mode): it holds the truth, deploy.json mirrors it.
        await plan.team?.record(plan.environment, { imageTag: plan.newTag, imageDigest, endpoint, deployedAt, operation: operationOf(plan.purpose ?? ''), contractTag: plan.contract.release });
        record = await recordDeploy(plan.recordsPath, plan.environment, { endpoint, imageTag: plan.newTag, deployedAt, stackName: plan.stackName, contractTag: plan.contract.release, deployedBy: plan.callerArn, imageDigest }, { lock: plan.lock });
      } catch (error) {
        // Its message only: a config-folder error's hint says nothing was changed, and the stack was.
        const why = error instanceof Error ? error.message : String(error);
        return { outcome: 'unrecorded', endpoint, error: displayLine(why, REASON_MAX), logFile: plan.logFile };
      }
      emit({ type: 'phase', phase: 'done' });
      return { outcome: 'succeeded', endpoint, record, logFile: plan.logFile };
    }
    const stackStatus = (await aws.describeStack(plan.stackName).catch(() => undefined))?.status ?? null;
    if (result.outcome === 'cancelled') return { outcome: 'cancelled', stackStatus, logFile: plan.logFile };
    // Reasons are cdk's and AWS's words, made display text here (one line each, escaped, bounded); the log file keeps them whole.
    const reasons = failures.length > 0 ? failures.slice(0, 5) : [displayLine(lastErrorLine(result), REASON_MAX)];
    const service = await serviceOf(plan, aws);
    const alarms = service && aws.alarmRollback ? await aws.alarmRollback(service.cluster, service.service, since).catch(() => []) : [];
    if (alarms.length > 0) {
      reasons.unshift(displayLine(`${plan.environment}'s service rolled back by itself: deployment alarm ${alarms.join(', ')} fired during the rollout`, REASON_MAX));
    }
    if (service) reasons.push(...(await aws.stoppedTaskReasons(service.cluster, service.service).catch(() => [])).slice(0, 3).map((r) => displayLine(`stopped task: ${r}`, REASON_MAX)));
    return { outcome: 'failed', reasons, stackStatus, logFile: plan.logFile, exitCode: result.outcome === 'failed' ? result.exitCode : null };
  } finally {
    disposePlan(plan);
    await plan.accountLock?.release();
  }
}

/** deploy, promote or rollback, from the request's purpose (`rollback prod`, `promote dev to prod`). */
function operationOf(purpose: string): 'deploy' | 'promote' | 'rollback' {
  const word = purpose.split(' ')[0];
  return word === 'promote' || word === 'rollback' ? word : 'deploy';
}

/** The digest the environment's tasks run now, when the AWS side can tell (promote's can); undefined otherwise. */
async function runningDigest(plan: DeployPlan, aws: DeployAws): Promise<string | undefined> {
  if (isDigest(plan.newTag)) return plan.newTag;
  const reader = aws as DeployAws & { runningImages?: (cluster: string, service: string) => Promise<{ image: string | null; digest: string | null }[]> };
  if (!reader.runningImages) return undefined;
  try {
    const service = await serviceOf(plan, aws);
    if (!service) return undefined;
    const images = await reader.runningImages(service.cluster, service.service);
    const digest = images.find((i) => i.image?.endsWith(`:${plan.newTag}`))?.digest ?? undefined;
    return digest && isDigest(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** How far ECS's clock may be behind ours when a rollback is matched to this deploy. */
const CLOCK_SKEW_MS = 30_000;

/** An environment's profile among the stack's. */
function profileIn(profiles: StackProfiles, environment: EnvironmentName): ResolvedProfile {
  const profile = environment === 'prod' ? profiles.prod : profiles.dev;
  if (!profile) throw new Error(`there is no ${environment} profile`);
  return profile;
}

function profileOf(plan: Pick<DeployPlan, 'environment' | 'profile' | 'profiles'>, environment: EnvironmentName): ResolvedProfile {
  if (environment === plan.environment) return plan.profile;
  const other = environment === 'prod' ? plan.profiles.prod : plan.profiles.dev;
  if (!other) throw new Error(`the plan has no ${environment} profile`);
  return other;
}

/**
 * Ends a plan that will not (or no longer) run: releases the stack's lock and
 * removes the synthesized assembly and the plan's temporary folder. The cdk
 * log stays where the plan said.
 */
export function disposePlan(plan: DeployPlan): void {
  plan.lock.release();
  void plan.accountLock?.release();
  rmSync(plan.assemblyDir, { recursive: true, force: true });
  rmSync(join(plan.workDir, 'outputs.json'), { force: true });
  if (plan.ownsWorkDir) removeTempDir(plan.workDir);
}

/** Characters of one failure reason shown (the deploy log keeps cdk's whole output). */
const REASON_MAX = 1000;

function lastErrorLine(result: CdkResult): string {
  if (result.outcome === 'succeeded') return '';
  const lines = result.stderrTail.split('\n').filter((l) => l.trim() !== '');
  return lines.reverse().find((l) => /fail|error|\u274C/i.test(l)) ?? lines[0] ?? (result.outcome === 'killed' ? `cdk was killed (${result.signal})` : 'cdk failed');
}

function readOutputs(path: string, stackName: string): Record<string, string> {
  if (!existsSync(path)) return {};
  try {
    const all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
    return all[stackName] ?? {};
  } catch {
    return {};
  }
}

function serviceIn(outputs: Readonly<Record<string, string>>, environment: EnvironmentName): { cluster: string; service: string } | undefined {
  const cluster = outputs.ClusterName;
  const service = outputs[outputName(environment, 'ServiceName')];
  return cluster && service ? { cluster, service } : undefined;
}

/** The plan's service, or (on the stack's first deploy) the one the stack has now. */
async function serviceOf(plan: DeployPlan, aws: DeployAws): Promise<{ cluster: string; service: string } | undefined> {
  if (plan.service) return plan.service;
  const stack = await aws.describeStack(plan.stackName).catch(() => undefined);
  return stack ? serviceIn(stack.outputs, plan.environment) : undefined;
}

/** Reads the environment's ECS rollout every few seconds while cdk runs (chained timers). */
function watchRollout(plan: DeployPlan, aws: DeployAws, emit: (e: DeployEvent) => void, everyMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const service = plan.service;
  const tick = async () => {
    if (service && !stopped) {
      const rollout = await aws.serviceRollout(service.cluster, service.service).catch(() => undefined);
      if (rollout && !stopped) emit({ type: 'rollout', rollout });
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = tick().finally(schedule);
    }, everyMs);
  };
  if (service) schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight.catch(() => {});
    },
  };
}

function cdkFailure(what: string, result: CdkResult): ExternalError {
  if (result.outcome === 'succeeded') return new ExternalError(`${what} failed`);
  return new ExternalError(`${what} ${result.outcome === 'cancelled' ? 'was cancelled' : 'failed'}`, {
    command: what,
    exitCode: result.outcome === 'failed' ? result.exitCode : undefined,
    stderrTail: result.stderrTail.split('\n').slice(-8).map((l) => displayLine(l, REASON_MAX)).join('\n'),
    hint: `the full output is in ${result.logFile}`,
  });
}

/** True when an image reference is pinned by digest. */
export function isDigest(tag: string): boolean {
  return DIGEST_RE.test(tag);
}
