import type { EnvironmentName } from './schema.js';

/**
 * The names other parts of the product depend on: the stack's parameters and
 * outputs (PRODUCT.md section 5). Kept free of aws-cdk-lib so the deploy
 * runner and the status poller can import them without loading the CDK.
 */

/** `dev` -> `Dev`: the prefix of an environment's parameters, outputs and construct ids. */
export function envTitle(environment: EnvironmentName): 'Dev' | 'Prod' {
  return environment === 'dev' ? 'Dev' : 'Prod';
}

/**
 * Per-environment CloudFormation parameters, each named `<Env><Name>`: every
 * profile value that reaches an environment's running service. A deploy passes
 * its own environment's and CloudFormation keeps the other's previous values,
 * so the template itself never carries one environment's values into the other.
 */
export const PARAMETER_SUFFIXES = [
  'ImageTag',
  'SecretName',
  'MinCapacity',
  'MaxCapacity',
  'Cpu',
  'Memory',
  'LogLevel',
  'QuiltStackArn',
  'ImageAccount',
  'ImageRegion',
  'ImageRepositoryName',
  'WebhookVerification',
  'PackageBucket',
  'QuiltWebHost',
  'PackagerQueueUrl',
  'AthenaDatabase',
  'AthenaWorkgroup',
  'Consumers',
] as const;
export type ParameterSuffix = (typeof PARAMETER_SUFFIXES)[number];

export function parameterName(environment: EnvironmentName, suffix: ParameterSuffix): string {
  return `${envTitle(environment)}${suffix}`;
}

const ECR_URI_RE = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/([a-z0-9]+(?:[._/-][a-z0-9]+)*)$/;

/**
 * The parts of an ECR repository URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/NAME`)
 * that the parameters `<Env>ImageAccount`, `<Env>ImageRegion` and
 * `<Env>ImageRepositoryName` hold: the template builds both the image and the
 * repository's ARN from them, since CloudFormation cannot cut a URI apart
 * without literal delimiters. Undefined when `uri` is not such a URI.
 */
export function imageRepositoryParts(uri: string): { account: string; region: string; name: string } | undefined {
  const m = ECR_URI_RE.exec(uri);
  return m ? { account: m[1], region: m[2], name: m[3] } : undefined;
}

/** Outputs shared by every environment. */
export const SHARED_OUTPUTS = ['ApiId', 'ClusterName'] as const;
/** Per-environment outputs, each named `<Env><Name>`. */
export const ENVIRONMENT_OUTPUT_SUFFIXES = ['Endpoint', 'ServiceName', 'TargetGroupArn', 'LogGroupName'] as const;
export type EnvironmentOutputSuffix = (typeof ENVIRONMENT_OUTPUT_SUFFIXES)[number];

export function outputName(environment: EnvironmentName, suffix: EnvironmentOutputSuffix): string {
  return `${envTitle(environment)}${suffix}`;
}

/**
 * The internal load balancer's listener port of each environment. Fixed per
 * environment (not by position), so adding dev later never moves prod's listener.
 */
export const LISTENER_PORTS: Readonly<Record<EnvironmentName, number>> = { prod: 8080, dev: 8081 };

/** The webhook container's port and health route (PRODUCT.md section 3). */
export const CONTAINER_PORT = 5000;
export const HEALTH_PATH = '/health';

/** The API stage variable holding `<load balancer DNS>:<listener port>`: what routes a stage to its environment. */
export const BACKEND_STAGE_VARIABLE = 'backend';

/**
 * The largest template cdk sends inline (`TemplateBody`): 50 KiB of the YAML
 * it serializes. A larger one is uploaded to the bootstrap bucket, so the
 * account must be bootstrapped (cdk 2.1148 `LARGE_TEMPLATE_SIZE_KB`).
 */
export const INLINE_TEMPLATE_LIMIT = 50 * 1024;

/** What each rollout alarm of an environment watches, in the order the plan lists them. */
export const ROLLOUT_ALARM_KINDS = ['5xx', 'unhealthy-targets'] as const;
export type RolloutAlarmKind = (typeof ROLLOUT_ALARM_KINDS)[number];

/**
 * The CloudWatch alarms that guard an environment's rollouts (its ECS
 * service's deployment alarms, rolled back when one fires):
 * `<stack>-<env>-5xx` (its API stage's 5xx rate) and
 * `<stack>-<env>-unhealthy-targets` (its target group's unhealthy targets).
 * Fixed names, so the plan names them without AWS and a rollback's reason
 * can be matched to an environment.
 */
export function rolloutAlarmNames(stackName: string, environment: EnvironmentName): string[] {
  return ROLLOUT_ALARM_KINDS.map((kind) => rolloutAlarmName(stackName, environment, kind));
}

export function rolloutAlarmName(stackName: string, environment: EnvironmentName, kind: RolloutAlarmKind): string {
  return `${stackName}-${environment}-${kind}`;
}

/** Where `synth` writes when no `--out` is given, relative to the working folder. */
export const DEFAULT_SYNTH_OUT = 'cdk.out/benchling-deploy';
