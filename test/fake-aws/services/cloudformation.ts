/**
 * CloudFormation (Query/XML) over `scenario.stacks`: what the project reads
 * (DescribeStacks, DescribeStackEvents) and what the real aws-cdk CLI calls to
 * deploy, diff and destroy (change sets, GetTemplate, DeleteStack, ...). The
 * behaviour lives in `cfn/stacks.ts`; this file reads inputs and shapes
 * outputs as the API does.
 */
import { AwsServiceError, optionalString, requireString, stringList, type ServiceDefinition } from '../protocols.js';
import type { FakeChangeSet, FakeResourceChange, FakeStack, Scenario } from '../scenario.js';
import { changeSetStatusAt, createChangeSet, deleteStack, executeChangeSet, findChangeSet, findStack } from '../cfn/stacks.js';
import { shownParameters, type ParameterInput } from '../cfn/template.js';

const PAGE = 100;

/** The most bytes CloudFormation takes as TemplateBody; more must come from S3 (TemplateURL). */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;

/** TemplateBody, refused over {@link TEMPLATE_BODY_MAX_BYTES} with the API's own validation error (which quotes the value). */
function templateBodyOf(input: Record<string, unknown>): string | undefined {
  const body = optionalString(input, 'TemplateBody');
  if (body !== undefined && Buffer.byteLength(body) > TEMPLATE_BODY_MAX_BYTES) {
    throw new AwsServiceError('ValidationError', `1 validation error detected: Value '${body}' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${TEMPLATE_BODY_MAX_BYTES}`);
  }
  return body;
}

const isTrue = (v: unknown): boolean => v === true || v === 'true';

function describe(stack: FakeStack) {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ChangeSetId: stack.changeSetId,
    Description: stack.description,
    Parameters: Object.entries(shownParameters(stack.template, stack.parameters)).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    CreationTime: new Date(stack.creationTime),
    DeletionTime: stack.deletionTime ? new Date(stack.deletionTime) : undefined,
    LastUpdatedTime: stack.lastUpdatedTime ? new Date(stack.lastUpdatedTime) : undefined,
    RollbackConfiguration: {},
    StackStatus: stack.status,
    StackStatusReason: stack.statusReason,
    DisableRollback: false,
    NotificationARNs: [],
    Capabilities: stack.capabilities,
    Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue, Description: stack.template?.Outputs?.[OutputKey]?.Description })),
    Tags: Object.entries(stack.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

/** `[{ Key, Value }]` -> `{ Key: Value }` */
function tagsOf(input: Record<string, unknown>): Record<string, string> {
  const tags = Array.isArray(input.Tags) ? (input.Tags as { Key: string; Value: string }[]) : [];
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

function resourceChange(c: FakeResourceChange, withValues: boolean) {
  return {
    Type: 'Resource',
    ResourceChange: {
      PolicyAction: c.policyAction,
      Action: c.action,
      LogicalResourceId: c.logicalId,
      PhysicalResourceId: c.physicalId,
      ResourceType: c.type,
      Replacement: c.replacement,
      Scope: c.scope,
      Details: c.details.map((d) => ({
        Target: {
          Attribute: d.target.attribute,
          Name: d.target.name,
          RequiresRecreation: d.target.requiresRecreation,
          ...(withValues ? { Path: d.target.path, BeforeValue: d.target.beforeValue, AfterValue: d.target.afterValue, AttributeChangeType: d.target.attributeChangeType } : {}),
        },
        Evaluation: d.evaluation,
        ChangeSource: d.changeSource,
        CausingEntity: d.causingEntity,
      })),
      BeforeContext: withValues && c.before ? JSON.stringify(c.before) : undefined,
      AfterContext: withValues && c.after ? JSON.stringify(c.after) : undefined,
    },
  };
}

function summary(stack: FakeStack, c: FakeChangeSet, now: number) {
  const state = changeSetStatusAt(c, now);
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ChangeSetId: c.id,
    ChangeSetName: c.name,
    ExecutionStatus: state.executionStatus,
    Status: state.status,
    StatusReason: state.statusReason,
    CreationTime: new Date(c.createdAt),
    Description: c.description,
    IncludeNestedStacks: false,
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
          OperationId: e.operationId,
          LogicalResourceId: e.logicalResourceId,
          PhysicalResourceId: e.physicalResourceId,
          ResourceType: e.resourceType,
          Timestamp: new Date(e.timestamp),
          ResourceStatus: e.resourceStatus,
          ResourceStatusReason: e.resourceStatusReason,
          ClientRequestToken: e.clientRequestToken,
        })),
        NextToken: start + PAGE < stack.events.length ? String(start + PAGE) : undefined,
      };
    },
    CreateChangeSet(input, scenario) {
      const { stack, changeSet } = createChangeSet(
        scenario,
        {
          stackName: requireString(input, 'StackName', 'ValidationError'),
          changeSetName: requireString(input, 'ChangeSetName', 'ValidationError'),
          changeSetType: optionalString(input, 'ChangeSetType'),
          templateBody: templateBodyOf(input),
          templateUrl: optionalString(input, 'TemplateURL'),
          usePreviousTemplate: isTrue(input.UsePreviousTemplate),
          parameters: Array.isArray(input.Parameters) ? (input.Parameters as ParameterInput[]) : [],
          capabilities: stringList(input, 'Capabilities'),
          tags: tagsOf(input),
          description: optionalString(input, 'Description'),
        },
        Date.now(),
      );
      return { Id: changeSet.id, StackId: stack.stackId };
    },
    DescribeChangeSet(input, scenario) {
      const { stack, changeSet } = findChangeSet(scenario, optionalString(input, 'StackName'), requireString(input, 'ChangeSetName', 'ValidationError'));
      const state = changeSetStatusAt(changeSet, Date.now());
      const withValues = isTrue(input.IncludePropertyValues);
      const start = Number(optionalString(input, 'NextToken') ?? '0');
      const changes = state.ready ? changeSet.changes : [];
      return {
        ChangeSetName: changeSet.name,
        ChangeSetId: changeSet.id,
        StackId: stack.stackId,
        StackName: stack.stackName,
        Description: changeSet.description,
        Parameters: Object.entries(shownParameters(changeSet.template, changeSet.parameters)).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        CreationTime: new Date(changeSet.createdAt),
        ExecutionStatus: state.executionStatus,
        Status: state.status,
        StatusReason: state.statusReason,
        NotificationARNs: [],
        RollbackConfiguration: {},
        Capabilities: changeSet.capabilities,
        Tags: Object.entries(changeSet.tags).map(([Key, Value]) => ({ Key, Value })),
        Changes: changes.slice(start, start + PAGE).map((c) => resourceChange(c, withValues)),
        NextToken: start + PAGE < changes.length ? String(start + PAGE) : undefined,
        IncludeNestedStacks: false,
      };
    },
    ExecuteChangeSet(input, scenario) {
      const { stack, changeSet } = findChangeSet(scenario, optionalString(input, 'StackName'), requireString(input, 'ChangeSetName', 'ValidationError'));
      executeChangeSet(scenario, stack, changeSet, Date.now(), optionalString(input, 'ClientRequestToken'));
      return {};
    },
    DeleteChangeSet(input, scenario) {
      const name = requireString(input, 'ChangeSetName', 'ValidationError');
      let found: { stack: FakeStack; changeSet: FakeChangeSet };
      try {
        found = findChangeSet(scenario, optionalString(input, 'StackName'), name);
      } catch (error) {
        // Deleting a change set that is not there, by name, succeeds (the aws-cdk CLI relies on it before each deploy).
        if (error instanceof AwsServiceError && error.code === 'ChangeSetNotFound' && !name.startsWith('arn:')) return {};
        throw error;
      }
      if (found.changeSet.executionStatus === 'EXECUTE_IN_PROGRESS') {
        throw new AwsServiceError('InvalidChangeSetStatus', `ChangeSet [${found.changeSet.id}] cannot be deleted in its current execution status of [EXECUTE_IN_PROGRESS]`);
      }
      delete found.stack.changeSets![found.changeSet.name];
      return {};
    },
    ListChangeSets(input, scenario) {
      const stack = findStack(scenario, requireString(input, 'StackName', 'ValidationError'));
      const now = Date.now();
      return { Summaries: Object.values(stack.changeSets ?? {}).map((c) => summary(stack, c, now)) };
    },
    GetTemplate(input, scenario) {
      const changeSetName = optionalString(input, 'ChangeSetName');
      if (changeSetName) {
        const { changeSet } = findChangeSet(scenario, optionalString(input, 'StackName'), changeSetName);
        return { TemplateBody: changeSet.templateBody, StagesAvailable: ['Original', 'Processed'] };
      }
      const stack = findStack(scenario, requireString(input, 'StackName', 'ValidationError'));
      // A stack under review has no template yet; a stack written by hand has an empty one.
      if (stack.status === 'REVIEW_IN_PROGRESS') return { TemplateBody: '', StagesAvailable: ['Original', 'Processed'] };
      const processed = optionalString(input, 'TemplateStage') === 'Processed';
      const body = stack.templateBody === undefined ? '{}' : processed ? JSON.stringify(stack.template) : stack.templateBody;
      return { TemplateBody: body, StagesAvailable: ['Original', 'Processed'] };
    },
    // What cdk asks when a change set FAILED: resource-level validation errors, then hook results. The fake has neither.
    DescribeEvents(input, scenario) {
      const stackName = optionalString(input, 'StackName');
      const changeSetName = optionalString(input, 'ChangeSetName');
      if (changeSetName) findChangeSet(scenario, stackName, changeSetName);
      else if (stackName) findStack(scenario, stackName);
      return { OperationEvents: [] };
    },
    ListHookResults() {
      return { HookResults: [] };
    },
    DeleteStack(input, scenario) {
      deleteStack(scenario, requireString(input, 'StackName', 'ValidationError'), Date.now(), optionalString(input, 'ClientRequestToken'));
      return {};
    },
  },
};
