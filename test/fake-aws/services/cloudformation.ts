/** CloudFormation (Query/XML): DescribeStacks and DescribeStackEvents over `scenario.stacks`. */
import { AwsServiceError, optionalString, type ServiceDefinition } from '../protocols.js';
import type { FakeStack, Scenario } from '../scenario.js';

const PAGE = 100;

function findStack(scenario: Scenario, nameOrId: string): FakeStack {
  const stack = Object.values(scenario.stacks).find(
    (s) => (s.stackName === nameOrId && s.status !== 'DELETE_COMPLETE') || s.stackId === nameOrId,
  );
  if (!stack) throw new AwsServiceError('ValidationError', `Stack with id ${nameOrId} does not exist`);
  return stack;
}

function describe(stack: FakeStack) {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    CreationTime: new Date(stack.creationTime),
    LastUpdatedTime: stack.lastUpdatedTime ? new Date(stack.lastUpdatedTime) : undefined,
    StackStatus: stack.status,
    StackStatusReason: stack.statusReason,
    Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    Tags: Object.entries(stack.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

export const cloudformation: ServiceDefinition<Scenario> = {
  signingName: 'cloudformation',
  protocol: 'query',
  xmlNamespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredToken', status: 403 },
  operations: {
    DescribeStacks(input, scenario) {
      const name = optionalString(input, 'StackName');
      const stacks = name ? [findStack(scenario, name)] : Object.values(scenario.stacks).filter((s) => s.status !== 'DELETE_COMPLETE');
      return { Stacks: stacks.map(describe) };
    },
    DescribeStackEvents(input, scenario) {
      const name = optionalString(input, 'StackName');
      if (!name) throw new AwsServiceError('ValidationError', 'StackName is required');
      const stack = findStack(scenario, name);
      const start = Number(optionalString(input, 'NextToken') ?? '0');
      const page = stack.events.slice(start, start + PAGE);
      return {
        StackEvents: page.map((e) => ({
          StackId: stack.stackId,
          EventId: e.eventId,
          StackName: stack.stackName,
          LogicalResourceId: e.logicalResourceId,
          PhysicalResourceId: e.physicalResourceId,
          ResourceType: e.resourceType,
          Timestamp: new Date(e.timestamp),
          ResourceStatus: e.resourceStatus,
          ResourceStatusReason: e.resourceStatusReason,
        })),
        NextToken: start + PAGE < stack.events.length ? String(start + PAGE) : undefined,
      };
    },
  },
};
