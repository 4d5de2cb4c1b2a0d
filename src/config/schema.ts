// zod/mini: the same schemas and messages as zod's classic API, a twentieth of its code to load.
import * as z from 'zod/mini';
import { DEFAULT_NAT_GATEWAYS, DEFAULT_TASK_SIZE, FARGATE_CPUS } from './task-size.js';
import { ENVIRONMENTS, type EnvironmentName } from './environments.js';
import { REGION_RE } from './paths.js';

export { ENVIRONMENTS, type EnvironmentName };

export const DEFAULT_STACK_NAME = 'BenchlingWebhookStack';
/** The published webhook image, used when a profile names no repository. */
export const DEFAULT_IMAGE_REPOSITORY = '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling';
export const DEFAULT_CAPACITY: Record<EnvironmentName, { min: number; max: number }> = {
  dev: { min: 1, max: 2 },
  prod: { min: 2, max: 10 },
};
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const PROFILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const TENANT_RE = /^[a-z0-9-]+$/;

/** `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID` */
export const QUILT_STACK_ARN_RE =
  /^arn:(aws|aws-cn|aws-us-gov):cloudformation:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):stack\/([A-Za-z][A-Za-z0-9-]{0,127})\/([A-Za-z0-9-]+)$/;
const ACCOUNT_RE = /^\d{12}$/;
const DOCKER_TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const ECR_URI_RE = /^\d{12}\.dkr\.ecr\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?\/[a-z0-9]+(?:[._/-][a-z0-9]+)*$/;
export const STACK_NAME_RE = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const SECRET_NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** A host name (the Quilt catalog's), no scheme or path. */
export const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** `https://sqs.REGION.amazonaws.com[.cn]/ACCOUNT/NAME`: the Quilt packager queue. */
export const SQS_URL_RE = /^https:\/\/sqs\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?\/\d{12}\/[A-Za-z0-9_-]{1,75}(?:\.fifo)?$/;
export const GLUE_NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
export const WORKGROUP_RE = /^[A-Za-z0-9._-]{1,128}$/;

export function isImageReference(value: string): boolean {
  return DIGEST_RE.test(value) || DOCKER_TAG_RE.test(value);
}

export function isIpv4Cidr(value: string): boolean {
  const m = CIDR_RE.exec(value);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) && Number(m[5]) <= 32;
}

/** Splits a `webhookAllowList` value into CIDRs; an empty string means no list. */
export function parseAllowList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** An image tag or digest, wherever one is read: a profile's `imageTag`, deploy.json's sections and history. */
export const ImageReferenceSchema = z
  .string({ error: 'expected a Docker tag or an image digest sha256:<64 hex> (a string)' })
  .check(z.refine(isImageReference, { error: 'expected a Docker tag (letters, digits, _ . -, at most 128) or sha256:<64 hex>' }));

const nonEmpty = (what: string) => z.string({ error: `expected ${what} (a string)` }).check(z.trim(), z.minLength(1, { error: `expected ${what}, not an empty string` }));

const capacity = (field: string) =>
  z
    .number({ error: `expected a whole number for ${field}` })
    .check(z.int({ error: `expected a whole number for ${field}` }), z.gte(0, { error: `expected ${field} >= 0` }), z.lte(1000, { error: `expected ${field} <= 1000` }));

/**
 * A profile as stored in `<profile>.json`. Strict: unknown fields are errors,
 * so a typo never silently falls back to a default.
 */
export const ProfileFileSchema = z.strictObject(
  {
    profile: z.string({ error: 'expected the profile name (a string equal to the file name)' }).check(z.regex(PROFILE_NAME_RE, {
      error: 'expected letters, digits, "-" or "_" (at most 64)',
    })),
    environment: z.optional(z.enum(ENVIRONMENTS, { error: 'expected "dev" or "prod"' })),
    benchlingTenant: z
      .string({ error: 'expected the Benchling tenant (a string)' })
      .check(z.regex(TENANT_RE, { error: 'expected lower-case letters, digits and "-" (the part before .benchling.com)' })),
    benchlingAppDefinitionId: nonEmpty('the Benchling app definition id'),
    benchlingClientId: nonEmpty('the Benchling client id'),
    benchlingClientSecret: z.optional(nonEmpty('the Benchling client secret')),
    quiltStackArn: z.string({ error: 'expected the Quilt stack ARN (a string)' }).check(z.regex(QUILT_STACK_ARN_RE, {
      error: 'expected a CloudFormation stack ARN: arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID',
    })),
    region: z.optional(z.string({ error: 'expected an AWS region (a string)' }).check(z.regex(REGION_RE, { error: 'expected an AWS region such as us-east-1' }))),
    account: z.optional(z.string({ error: 'expected a 12-digit AWS account id (a string)' }).check(z.regex(ACCOUNT_RE, { error: 'expected a 12-digit AWS account id' }))),
    benchlingSecret: z.optional(z.string({ error: 'expected a Secrets Manager secret name' }).check(z.regex(SECRET_NAME_RE, { error: 'expected a Secrets Manager secret name (letters, digits, /_+=.@-)' }))),
    imageTag: z.optional(ImageReferenceSchema),
    imageRepository: z.optional(z.string({ error: 'expected an ECR repository URI' }).check(z.regex(ECR_URI_RE, { error: 'expected an ECR repository URI: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME' }))),
    stackName: z.optional(z.string({ error: 'expected a CloudFormation stack name' }).check(z.regex(STACK_NAME_RE, { error: 'expected a CloudFormation stack name: a letter, then letters, digits or "-"' }))),
    awsProfile: z.optional(nonEmpty('an AWS credentials profile name')),
    webhookAllowList: z.optional(z
      .string({ error: 'expected comma-separated IPv4 CIDRs (a string)' })
      .check(z.refine((v) => parseAllowList(v).every(isIpv4Cidr), { error: 'expected comma-separated IPv4 CIDRs such as 203.0.113.0/24' }))
      ),
    minCapacity: z.optional(capacity('minCapacity')),
    maxCapacity: z.optional(capacity('maxCapacity').check(z.gte(1, { error: 'expected maxCapacity >= 1' }))),
    cpu: z.optional(z
      .number({ error: `expected the task's Fargate CPU units: one of ${FARGATE_CPUS.join(', ')} (a number)` })
      .check(z.refine((v) => FARGATE_CPUS.includes(v), { error: `expected the task's Fargate CPU units: one of ${FARGATE_CPUS.join(', ')} (1024 = 1 vCPU)` }))
      ),
    memory: z.optional(
      z
        .number({ error: "expected the task's memory in MiB (a number)" })
        .check(
          z.int({ error: "expected the task's memory in MiB, a whole number" }),
          z.gte(512, { error: 'expected at least 512 MiB (Fargate\'s smallest task)' }),
          z.lte(30720, { error: 'expected at most 30720 MiB (Fargate\'s largest task of 4 vCPU)' }),
        ),
    ),
    natGateways: z.optional(z
      .number({ error: 'expected 1 or 2 NAT gateways (a number)' })
      .check(z.refine((v) => v === 1 || v === 2, { error: 'expected 1 or 2 NAT gateways (one per availability zone at most)' }))
      ),
    logLevel: z.optional(z.enum(LOG_LEVELS, { error: 'expected one of DEBUG, INFO, WARNING, ERROR' })),
    pkgBucket: z.optional(z.string({ error: 'expected an S3 bucket name' }).check(z.regex(BUCKET_RE, { error: 'expected an S3 bucket name (lower-case letters, digits, "." and "-")' }))),
    pkgKey: z.optional(nonEmpty('a package key')),
    pkgPrefix: z.optional(nonEmpty('a package prefix')),
    webhookVerification: z.optional(z.boolean({ error: 'expected true or false (a JSON boolean)' })),
    quiltWebHost: z.optional(z.string({ error: 'expected the Quilt catalog host (a string)' }).check(z.regex(HOST_RE, { error: 'expected a host name such as quilt.example.com (no scheme, no path)' }))),
    packagerQueueUrl: z.optional(z.string({ error: 'expected an SQS queue URL (a string)' }).check(z.regex(SQS_URL_RE, { error: 'expected an SQS queue URL: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME' }))),
    athenaUserDatabase: z.optional(z.string({ error: 'expected a Glue database name (a string)' }).check(z.regex(GLUE_NAME_RE, { error: 'expected a Glue database name (letters, digits, "_" and "-")' }))),
    athenaUserWorkgroup: z.optional(z.string({ error: 'expected an Athena workgroup name (a string)' }).check(z.regex(WORKGROUP_RE, { error: 'expected an Athena workgroup name (letters, digits, ".", "_" and "-")' }))),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'expected a JSON object') },
);

export type ProfileFile = z.infer<typeof ProfileFileSchema>;
export const PROFILE_FIELDS = Object.keys(ProfileFileSchema.shape) as (keyof ProfileFile)[];

/** A profile with every default applied, as the stack and the commands use it. */
export interface ResolvedProfile {
  readonly profile: string;
  readonly environment: EnvironmentName;
  readonly benchlingTenant: string;
  readonly benchlingAppDefinitionId: string;
  readonly benchlingClientId: string;
  readonly benchlingClientSecret?: string;
  readonly quiltStackArn: string;
  /** Region and account the Quilt stack of this profile lives in. */
  readonly quiltRegion: string;
  readonly quiltAccount: string;
  /** Where the webhook stack lives, as the profile says (pairing applies the prod profile's). */
  readonly region: string;
  readonly account: string;
  readonly benchlingSecret: string;
  readonly imageTag: string;
  readonly imageRepository: string;
  readonly stackName: string;
  readonly awsProfile?: string;
  readonly webhookAllowList: readonly string[];
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly logLevel: LogLevel;
  /** The environment's Fargate task size: CPU units and memory in MiB (a valid Fargate pair). */
  readonly cpu: number;
  readonly memory: number;
  /** NAT gateways of the shared VPC: the prod profile's word (a dev profile cannot set it). */
  readonly natGateways: number;
  readonly pkgBucket?: string;
  readonly pkgKey: string;
  readonly pkgPrefix: string;
  readonly webhookVerification: boolean;
  /**
   * What the container needs of the environment's Quilt stack, when the
   * profile gives it; otherwise the deploy pre-flight reads the stack's outputs
   * (QuiltWebHost, PackagerQueueUrl, UserAthenaDatabaseName, UserAthenaWorkgroupName).
   */
  readonly quiltWebHost?: string;
  readonly packagerQueueUrl?: string;
  readonly athenaUserDatabase?: string;
  readonly athenaUserWorkgroup?: string;
  /** Which of region/account/stackName the file set itself (pairing needs to know). */
  readonly explicit: { readonly region: boolean; readonly account: boolean; readonly stackName: boolean };
}

export function parseQuiltStackArn(arn: string): { partition: string; region: string; account: string; stackName: string } {
  const m = QUILT_STACK_ARN_RE.exec(arn);
  if (!m) throw new Error(`not a CloudFormation stack ARN: ${arn}`);
  return { partition: m[1], region: m[2], account: m[3], stackName: m[4] };
}

export function defaultEnvironmentFor(profileName: string): EnvironmentName {
  return profileName === 'dev' ? 'dev' : 'prod';
}

export function defaultSecretName(profile: string, tenant: string): string {
  return `quiltdata/benchling-webhook/${profile}/${tenant}`;
}

/** Applies defaults; assumes `file` already passed {@link ProfileFileSchema} and the cross-field checks. */
export function applyDefaults(file: ProfileFile): ResolvedProfile {
  const environment = file.environment ?? defaultEnvironmentFor(file.profile);
  const quilt = parseQuiltStackArn(file.quiltStackArn);
  const caps = DEFAULT_CAPACITY[environment];
  return {
    profile: file.profile,
    environment,
    benchlingTenant: file.benchlingTenant,
    benchlingAppDefinitionId: file.benchlingAppDefinitionId,
    benchlingClientId: file.benchlingClientId,
    benchlingClientSecret: file.benchlingClientSecret,
    quiltStackArn: file.quiltStackArn,
    quiltRegion: quilt.region,
    quiltAccount: quilt.account,
    region: file.region ?? quilt.region,
    account: file.account ?? quilt.account,
    benchlingSecret: file.benchlingSecret ?? defaultSecretName(file.profile, file.benchlingTenant),
    imageTag: file.imageTag ?? 'latest',
    imageRepository: file.imageRepository ?? DEFAULT_IMAGE_REPOSITORY,
    stackName: file.stackName ?? DEFAULT_STACK_NAME,
    awsProfile: file.awsProfile,
    webhookAllowList: parseAllowList(file.webhookAllowList),
    minCapacity: file.minCapacity ?? Math.min(caps.min, file.maxCapacity ?? caps.min),
    maxCapacity: file.maxCapacity ?? Math.max(caps.max, file.minCapacity ?? caps.max),
    logLevel: file.logLevel ?? 'INFO',
    cpu: file.cpu ?? DEFAULT_TASK_SIZE[environment].cpu,
    memory: file.memory ?? (file.cpu === undefined || file.cpu === DEFAULT_TASK_SIZE[environment].cpu ? DEFAULT_TASK_SIZE[environment].memory : Math.max(1024, 2 * file.cpu)),
    natGateways: file.natGateways ?? DEFAULT_NAT_GATEWAYS,
    pkgBucket: file.pkgBucket,
    pkgKey: file.pkgKey ?? 'experiment_id',
    pkgPrefix: file.pkgPrefix ?? 'benchling',
    webhookVerification: file.webhookVerification ?? true,
    quiltWebHost: file.quiltWebHost,
    packagerQueueUrl: file.packagerQueueUrl,
    athenaUserDatabase: file.athenaUserDatabase,
    athenaUserWorkgroup: file.athenaUserWorkgroup,
    explicit: { region: file.region !== undefined, account: file.account !== undefined, stackName: file.stackName !== undefined },
  };
}
