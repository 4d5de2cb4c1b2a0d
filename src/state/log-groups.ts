import type { EnvironmentName } from '../config/schema.js';
import { ExternalError } from '../errors.js';
import { outputName } from '../config/names.js';
import type { LogGroupRef } from './log-tail.js';

/** What of a stack the log groups come from: its id (an ARN) and outputs. */
export interface StackForLogs {
  readonly stackName: string;
  readonly stackId: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * Each environment's log group from the stack's `<Env>LogGroupName` output;
 * its ARN (which StartLiveTail needs) from the stack's own ARN, since the log
 * group lives in the stack's account and region.
 */
export function logGroupsOf(stack: StackForLogs, environments: readonly EnvironmentName[]): LogGroupRef[] {
  const arn = /^arn:([^:]+):cloudformation:([^:]+):(\d{12}):stack\//.exec(stack.stackId);
  if (!arn) throw new ExternalError(`stack ${stack.stackName} has an id CloudFormation would not give: ${stack.stackId}`);
  const [, partition, region, account] = arn;
  return environments.map((environment) => {
    const key = outputName(environment, 'LogGroupName');
    const logGroupName = stack.outputs[key];
    if (!logGroupName) {
      throw new ExternalError(`stack ${stack.stackName} has no output ${key}: no such log group yet; has the ${environment} environment been deployed?`, {
        hint: `deploy it: \`benchling-deploy deploy --environment ${environment}\``,
      });
    }
    return { environment, logGroupName, logGroupArn: `arn:${partition}:logs:${region}:${account}:log-group:${logGroupName}` };
  });
}
