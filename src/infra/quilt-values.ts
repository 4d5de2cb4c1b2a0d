import { ExternalError, UserErrors } from '../errors.js';
import { awsFailure, classifyAwsError } from '../state/aws-errors.js';
import { displayLine } from '../display-text.js';
import { GLUE_NAME_RE, HOST_RE, SQS_URL_RE, WORKGROUP_RE, parseQuiltStackArn, type EnvironmentName, type ResolvedProfile } from '../config/schema.js';
import { CONTAINER_VARIABLES, type VariableValue } from './container-contract.js';

/**
 * What the container needs of its environment's Quilt stack (PRODUCT.md
 * section 3), resolved at deploy time: each value from the profile when it
 * gives one, else from the Quilt stack's output, else (the workgroup only) a
 * default. Kept free of the AWS SDK and aws-cdk-lib: the pre-flight reads the
 * stack through {@link QuiltStackReader}.
 */
export const QUILT_VALUES = [
  { field: 'quiltWebHost', output: 'QuiltWebHost', variable: 'quiltWebHost', flag: 'quilt-web-host', label: 'catalog', pattern: HOST_RE, expected: 'a host name (no scheme, no path)' },
  { field: 'packagerQueueUrl', output: 'PackagerQueueUrl', variable: 'packagerQueueUrl', flag: 'packager-queue-url', label: 'queue', pattern: SQS_URL_RE, expected: 'an SQS queue URL https://sqs.REGION.amazonaws.com/ACCOUNT/NAME' },
  { field: 'athenaUserDatabase', output: 'UserAthenaDatabaseName', variable: 'athenaDatabase', flag: 'athena-database', label: 'database', pattern: GLUE_NAME_RE, expected: 'a Glue database name (letters, digits, "_" and "-")' },
  { field: 'athenaUserWorkgroup', output: 'UserAthenaWorkgroupName', variable: 'athenaWorkgroup', flag: 'athena-workgroup', label: 'workgroup', pattern: WORKGROUP_RE, expected: 'an Athena workgroup name (letters, digits, ".", "_" and "-")', fallback: 'primary' },
] as const satisfies readonly {
  field: keyof ResolvedProfile;
  output: string;
  variable: VariableValue;
  flag: string;
  label: string;
  pattern: RegExp;
  expected: string;
  fallback?: string;
}[];

export type QuiltField = (typeof QUILT_VALUES)[number]['field'];
/** The resolved values, by profile field. */
export type QuiltValues = Readonly<Record<QuiltField, string>>;

export interface QuiltValue {
  readonly value: string;
  /** `profile`: the profile gives it (and wins); `stack`: the Quilt stack's output; `default`: neither says (the workgroup). */
  readonly source: 'profile' | 'stack' | 'default';
  /** With source `profile`: what the Quilt stack's output says instead, when it says something else (escaped, for display). */
  readonly stackSays?: string;
}

/** One environment's Quilt values and where each came from, for the plan. */
export interface QuiltResolution {
  readonly environment: EnvironmentName;
  readonly profile: string;
  readonly stackArn: string;
  /** Why the stack's outputs were not used (`cannot be read with these credentials (...)`); absent when they were read. */
  readonly unreadable?: string;
  readonly values: Readonly<Record<QuiltField, QuiltValue>>;
}

/** The one AWS call resolution needs; part of DeployAws. */
export interface QuiltStackReader {
  /**
   * A Quilt stack's status and outputs, read by its ARN with a CloudFormation
   * client in the ARN's region (same credentials). Undefined when
   * CloudFormation says it does not exist, which is also what it says of a
   * stack of another account. AWS errors (AccessDenied, throttling) are thrown.
   */
  quiltStackOutputs(stackArn: string): Promise<{ readonly status: string; readonly outputs: Readonly<Record<string, string>> } | undefined>;
}

/** What reading a Quilt stack gave: its outputs, or why there are none to use. */
export type QuiltStackRead =
  | { readonly ok: true; readonly outputs: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly why: string; readonly transient?: unknown };

/**
 * Reads a Quilt stack's outputs. A stack these credentials cannot see (access
 * denied, another account, deleted) is data, not a throw: the profile's values
 * stand in. A passing failure (throttling, a server error, the network) is
 * kept, to be thrown only if a value is then missing.
 */
export async function readQuiltStack(aws: QuiltStackReader, stackArn: string, callerAccount: string): Promise<QuiltStackRead> {
  const { account } = parseQuiltStackArn(stackArn);
  const elsewhere = account !== callerAccount ? `; it is in account ${account}, these credentials are for ${callerAccount}` : '';
  try {
    const stack = await aws.quiltStackOutputs(stackArn);
    if (!stack) return { ok: false, why: `cannot be read with these credentials (it does not exist for them${elsewhere})` };
    if (stack.status === 'DELETE_COMPLETE') return { ok: false, why: 'was deleted (DELETE_COMPLETE)' };
    return { ok: true, outputs: stack.outputs };
  } catch (error) {
    const problem = classifyAwsError(error);
    const message = shown(problem.message, 200, false);
    if (problem.retryable) return { ok: false, why: `could not be read now (${message})`, transient: error };
    return { ok: false, why: `cannot be read with these credentials (${message}${elsewhere})` };
  }
}

/**
 * One environment's values: the profile's where it gives them, else the stack's
 * outputs (validated: they are untrusted input), else the workgroup's default.
 * Throws an ExternalError for a malformed output (naming stack and output),
 * and a UserErrors naming the profile file and each field still missing.
 */
export function resolveQuiltValues(profile: ResolvedProfile, read: QuiltStackRead, profileFile: string): QuiltResolution {
  const arn = profile.quiltStackArn;
  const values: Partial<Record<QuiltField, QuiltValue>> = {};
  const malformed: string[] = [];
  const missing: { field: QuiltField; flag: string; problem: string }[] = [];
  for (const def of QUILT_VALUES) {
    const own = profile[def.field];
    const output = read.ok ? read.outputs[def.output] : undefined;
    const said = output !== undefined && output !== '' ? output : undefined;
    if (own !== undefined) {
      values[def.field] = { value: own, source: 'profile', ...(said !== undefined && said !== own ? { stackSays: shown(said) } : {}) };
    } else if (said !== undefined) {
      if (def.pattern.test(said)) values[def.field] = { value: said, source: 'stack' };
      else malformed.push(`the Quilt stack ${arn}: output ${def.output}: expected ${def.expected}, got ${shown(said)}`);
    } else if ('fallback' in def) {
      values[def.field] = { value: def.fallback, source: 'default' };
    } else {
      const why = read.ok ? `has no output ${def.output}` : read.why;
      missing.push({ field: def.field, flag: def.flag, problem: `${profileFile}: ${def.field}: needed by the container (${variableName(def.variable)}); the Quilt stack ${arn} ${why}` });
    }
  }
  if (malformed.length > 0) {
    throw new ExternalError(malformed.join('\n'), {
      hint: `nothing was changed; fix the Quilt stack's output, or set the value in ${profileFile} (the profile's value wins): \`benchling-deploy setup-profile ${profile.profile} ${malformedFlags(malformed)}\``,
    });
  }
  if (missing.length > 0) {
    if (!read.ok && read.transient !== undefined) throw awsFailure(read.transient, { awsProfile: profile.awsProfile, doing: `reading the Quilt stack ${arn}` });
    const flags = missing.map((m) => `--${m.flag} VALUE`).join(' ');
    throw new UserErrors(
      missing.map((m) => m.problem),
      `set ${missing.length > 1 ? 'them' : 'it'} in the profile (\`benchling-deploy setup-profile ${profile.profile} ${flags}\`)${read.ok ? '' : ', or use credentials that may read the Quilt stack (cloudformation:DescribeStacks on it)'}`,
    );
  }
  return { environment: profile.environment, profile: profile.profile, stackArn: arn, ...(read.ok ? {} : { unreadable: read.why }), values: values as Record<QuiltField, QuiltValue> };
}

/** The values alone, as {@link environmentParameters} takes them. */
export function quiltValuesOf(resolution: QuiltResolution): QuiltValues {
  return Object.fromEntries(QUILT_VALUES.map((d) => [d.field, resolution.values[d.field].value])) as Record<QuiltField, string>;
}

/** The variable a value reaches the container as (`PACKAGER_SQS_URL`), from the contract module. */
function variableName(value: VariableValue): string {
  return CONTAINER_VARIABLES.filter((v) => v.value === value && v.until === undefined).map((v) => v.name)[0] ?? value;
}

function malformedFlags(problems: readonly string[]): string {
  return QUILT_VALUES.filter((d) => problems.some((p) => p.includes(`output ${d.output}:`)))
    .map((d) => `--${d.flag} VALUE`)
    .join(' ');
}

/**
 * Text from AWS made safe to show: quoted (JSON escapes new lines and control
 * characters), C1 controls escaped too, bounded in length.
 */
function shown(text: string, max = 200, quote = true): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // Already cut to `max`: the door escapes what JSON did not (C1 controls, and everything when not quoted).
  return displayLine(quote ? JSON.stringify(cut) : cut, Number.POSITIVE_INFINITY);
}
