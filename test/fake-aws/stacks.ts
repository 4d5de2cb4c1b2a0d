/**
 * What tests use to start from a deployed stack instead of a hand-written
 * one: {@link emptyScenario} (an account with nothing deployed) and
 * {@link deployStack} (a template and parameters deployed through the fake's
 * own CreateChangeSet/ExecuteChangeSet, with the ECS/ELB/API Gateway/Logs
 * world derived from it, as after a real `cdk deploy`).
 *
 *     const scenario = emptyScenario();
 *     deployStack(scenario, { stackName: 'BenchlingWebhookStack', template, parameters: { ProdImageTag: '0.7.0' } });
 *     const fake = await startFakeAws(scenario);
 */
import type { Scenario } from './scenario.js';

export { deployStack, DEFAULT_STEP_MS, KNOWN_AFTER_APPLY, NO_CHANGES_REASON, type DeployStackOptions } from './cfn/stacks.js';
export { imageDigestOf } from './cfn/world.js';

export interface EmptyOptions {
  readonly region?: string;
  readonly account?: string;
}

/** An account and region with no stack, cluster, API, log group or secret: where `cdk deploy` creates the stack. */
export function emptyScenario(options: EmptyOptions = {}): Scenario {
  const account = options.account ?? '123456789012';
  return {
    identity: { account, arn: `arn:aws:sts::${account}:assumed-role/Admin/operator`, userId: 'AROAEXAMPLE:operator' },
    region: options.region ?? 'us-east-1',
    stacks: {},
    clusters: {},
    targetGroups: {},
    restApis: {},
    logGroups: {},
    secrets: {},
  };
}
