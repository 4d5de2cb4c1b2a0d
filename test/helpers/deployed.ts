/**
 * A fake account where the project's stack is deployed the way a real `cdk
 * deploy` leaves it: the template synthesized from the test's profiles,
 * seeded through the fake CloudFormation's own change-set path
 * (test/fake-aws/stacks.ts), with a secret per environment. Deploy-path tests
 * start here and then run the real aws-cdk CLI against it.
 */
import type { FakeSecret, Scenario } from '../fake-aws/scenario.js';
import { deployStack, emptyScenario } from '../fake-aws/stacks.js';

export const STACK = 'BenchlingWebhookStack';

export interface DeployedOptions {
  /** Image tags to seed, per environment in the template (default: the template's defaults). */
  readonly imageTags?: Partial<Record<'dev' | 'prod', string>>;
  /** Extra parameter values. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Secret names to create (default: the template's `<Env>SecretName` defaults). */
  readonly secrets?: readonly string[];
  /** Milliseconds a step of a stack operation takes (default 0: done when ExecuteChangeSet returns). */
  readonly stepMs?: number;
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

/** An account with the stack of `template` deployed (and its secrets), or with nothing when `template` is null. */
export function deployedScenario(template: Record<string, any> | null, options: DeployedOptions = {}): Scenario {
  const scenario = emptyScenario();
  scenario.cfn = { stepMs: options.stepMs ?? 0 };
  if (!template) return scenario;
  const parameters: Record<string, string> = { ...options.parameters };
  if (options.imageTags?.dev) parameters.DevImageTag = options.imageTags.dev;
  if (options.imageTags?.prod) parameters.ProdImageTag = options.imageTags.prod;
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
