/**
 * A fake account where the project's stack is deployed the way a real `cdk
 * deploy` leaves it: the template synthesized from the test's profiles,
 * seeded through the fake CloudFormation's own change-set path
 * (test/fake-aws/stacks.ts), with a secret per environment. Deploy-path tests
 * start here and then run the real aws-cdk CLI against it.
 */
import type { FakeSecret, FakeStack, Scenario } from '../fake-aws/scenario.js';
import { bootstrapAccount, deployStack, emptyScenario } from '../fake-aws/stacks.js';
import { QUILT_ARN, QUILT_ARN_DEV } from './fixtures.js';

export const STACK = 'BenchlingWebhookStack';

/**
 * The outputs of the fixture profiles' Quilt stacks (test/helpers/fixtures.ts):
 * prod's has all four; dev's, like an older Quilt stack, no workgroup output.
 */
export const QUILT_OUTPUTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [QUILT_ARN]: {
    QuiltWebHost: 'quilt.acme.example.com',
    PackagerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/QuiltStack-PackagerQueue-1A2B3C4D',
    UserAthenaDatabaseName: 'quiltstack_useratheadatabase_1a2b3c4d',
    UserAthenaWorkgroupName: 'QuiltStack-UserAthenaWorkgroup',
  },
  [QUILT_ARN_DEV]: {
    QuiltWebHost: 'quilt-dev.acme.example.com',
    PackagerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/210987654321/QuiltDev-PackagerQueue-5E6F7A8B',
    UserAthenaDatabaseName: 'quiltdev_userathenadatabase_5e6f7a8b',
  },
};

/** Which Quilt output each `<Env>` parameter without a default takes (what a deploy resolves it from). */
const QUILT_PARAMETER_OUTPUTS: Readonly<Record<string, string>> = {
  QuiltWebHost: 'QuiltWebHost',
  PackagerQueueUrl: 'PackagerQueueUrl',
  AthenaDatabase: 'UserAthenaDatabaseName',
  AthenaWorkgroup: 'UserAthenaWorkgroupName',
};

/** A Quilt stack as DescribeStacks answers it (by name, or by its ARN as stack id); no template, no resources. */
export function quiltStack(arn: string, outputs: Readonly<Record<string, string>> = QUILT_OUTPUTS[arn] ?? {}): FakeStack {
  const stackName = arn.split(':')[5].split('/')[1];
  const at = new Date(Date.now() - 30 * 86_400_000).toISOString();
  return { stackName, stackId: arn, status: 'UPDATE_COMPLETE', creationTime: at, lastUpdatedTime: at, parameters: {}, outputs: { ...outputs }, events: [] };
}

export interface DeployedOptions {
  /** Image tags to seed, per environment in the template (default: the template's defaults). */
  readonly imageTags?: Partial<Record<'dev' | 'prod', string>>;
  /** Extra parameter values. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Secret names to create (default: the template's `<Env>SecretName` defaults). */
  readonly secrets?: readonly string[];
  /** Milliseconds a step of a stack operation takes (default 0: done when ExecuteChangeSet returns). */
  readonly stepMs?: number;
  /** The Quilt stacks the account holds (default: both fixture stacks, with {@link QUILT_OUTPUTS}). */
  readonly quiltStacks?: readonly FakeStack[];
  /**
   * Whether `cdk bootstrap` has run in the account: the CDKToolkit stack and
   * its staging bucket (`bootstrapAccount` in test/fake-aws/stacks.ts), where
   * cdk uploads a template over 50 KiB. Default true; false for an account
   * that was never bootstrapped.
   */
  readonly bootstrapped?: boolean;
}

function secret(scenario: Scenario, name: string): FakeSecret {
  const at = new Date(Date.now() - 86_400_000).toISOString();
  return {
    name,
    arn: `arn:aws:secretsmanager:${scenario.region}:${scenario.identity.account}:secret:${name}-AbCdEf`,
    secretString: JSON.stringify({ tenant: 'acme', client_id: 'cid', client_secret: 'fake-secret-value' }),
    versionId: 'v1',
    createdDate: at,
    lastChangedDate: at,
  };
}

/**
 * An account with the fixture Quilt stacks and the stack of `template` deployed
 * (and its secrets), or with only the Quilt stacks when `template` is null.
 * The template's parameters without a default (the Quilt values a profile does
 * not give) get what a deploy would pass: the Quilt stack's outputs.
 */
export function deployedScenario(template: Record<string, any> | null, options: DeployedOptions = {}): Scenario {
  const scenario = emptyScenario();
  scenario.cfn = { stepMs: options.stepMs ?? 0 };
  for (const quilt of options.quiltStacks ?? [quiltStack(QUILT_ARN), quiltStack(QUILT_ARN_DEV)]) scenario.stacks[quilt.stackName] = quilt;
  if (options.bootstrapped ?? true) bootstrapAccount(scenario);
  if (!template) return scenario;
  const parameters: Record<string, string> = { ...options.parameters };
  if (options.imageTags?.dev) parameters.DevImageTag = options.imageTags.dev;
  if (options.imageTags?.prod) parameters.ProdImageTag = options.imageTags.prod;
  const formal = template.Parameters as Record<string, { Default?: unknown }>;
  for (const [name, p] of Object.entries(formal)) {
    if (p.Default !== undefined || name in parameters) continue;
    const env = name.startsWith('Dev') ? 'Dev' : name.startsWith('Prod') ? 'Prod' : undefined;
    const output = env ? QUILT_PARAMETER_OUTPUTS[name.slice(env.length)] : undefined;
    const arn = env ? formal[`${env}QuiltStackArn`]?.Default : undefined;
    const value = output && typeof arn === 'string' ? (QUILT_OUTPUTS[arn]?.[output] ?? (output === 'UserAthenaWorkgroupName' ? 'primary' : undefined)) : undefined;
    if (value === undefined) throw new Error(`deployedScenario: parameter ${name} has no default and no value to seed it with`);
    parameters[name] = value;
  }
  deployStack(scenario, { stackName: STACK, template, parameters, at: new Date(Date.now() - 3_600_000) });
  const names = options.secrets ?? Object.entries(template.Parameters as Record<string, { Default?: string }>).filter(([k]) => k.endsWith('SecretName')).map(([, p]) => String(p.Default));
  for (const name of names) scenario.secrets[name] = secret(scenario, name);
  return scenario;
}

/** The parameters of the fake's CreateChangeSet calls, in order: what cdk really sent CloudFormation. */
export function changeSetParameters(calls: readonly { operation: string; input: unknown }[]): Record<string, string | 'previous'>[] {
  return calls
    .filter((c) => c.operation === 'CreateChangeSet')
    .map((c) => {
      const list = ((c.input as { Parameters?: { ParameterKey: string; ParameterValue?: string; UsePreviousValue?: string }[] }).Parameters ?? []);
      return Object.fromEntries(list.map((p) => [p.ParameterKey, p.UsePreviousValue === 'true' ? 'previous' : (p.ParameterValue ?? '')]));
    });
}
