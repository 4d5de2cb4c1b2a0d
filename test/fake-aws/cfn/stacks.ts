/**
 * The fake's CloudFormation engine: change sets (what would change, computed
 * by evaluating every resource's properties with the deployed and the new
 * template and parameters), their execution as timed steps of stack events,
 * stack deletion, and {@link deployStack} to seed a deployed stack through the
 * same path. The wire layer (`services/cloudformation.ts`) only reads input
 * and shapes output around these functions.
 *
 * Time: an operation is planned whole when it starts (its events, its
 * outcome, its effect on the world) as steps with a time each;
 * {@link advanceStacks} reveals the steps whose time has come. The server
 * calls it before every request and on a timer, so the scenario stays plain
 * JSON (PUT /__fake/scenario keeps working mid-operation).
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../protocols.js';
import type {
  CfnSettings,
  FakeChangeDetail,
  FakeChangeSet,
  FakeOperationStep,
  FakeResourceChange,
  FakeStack,
  FakeStackCommit,
  FakeStackEvent,
  FakeStackResource,
  Scenario,
} from '../scenario.js';
import { rollServiceBackOnAlarm } from '../scenario.js';
import { attributesOf, attributeValue, physicalIdOf, recreationOf, token, type NamingContext } from './resource-types.js';
import {
  checkRules,
  conditionOf,
  evaluate,
  evaluateConditions,
  parseTemplateBody,
  pseudoParameters,
  referencedNames,
  resolveParameters,
  Unresolved,
  type EvalContext,
  type ParameterInput,
  type Template,
} from './template.js';
import { templateFromUrl } from './template-url.js';
import { applyWorld } from './world.js';

/** Default milliseconds per step of a stack operation (see `CfnSettings.stepMs`). */
export const DEFAULT_STEP_MS = 10;

/** Measured; the aws-cdk CLI recognises an empty change set by this text. */
export const NO_CHANGES_REASON = "The submitted information didn't contain changes. Submit different information to create a change set.";

/** What a change set's property values show where the value is known only once it runs. */
export const KNOWN_AFTER_APPLY = '{{changeSet:KNOWN_AFTER_APPLY}}';

const STACK_TYPE = 'AWS::CloudFormation::Stack';

/** Statuses from which a stack can be updated. */
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

const isInProgress = (status: string): boolean => status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS';

// ---------------------------------------------------------------------------
// Finding things
// ---------------------------------------------------------------------------

/** The stack of that name (not deleted), or of that id (even deleted), as DescribeStacks finds it. */
export function findStack(scenario: Scenario, nameOrId: string): FakeStack {
  const stack = lookupStack(scenario, nameOrId);
  if (!stack) throw new AwsServiceError('ValidationError', `Stack with id ${nameOrId} does not exist`);
  return stack;
}

/** {@link findStack} without the error: undefined where CloudFormation would say the stack does not exist. */
export function lookupStack(scenario: Scenario, nameOrId: string): FakeStack | undefined {
  return Object.values(scenario.stacks).find((s) => (s.stackName === nameOrId && s.status !== 'DELETE_COMPLETE') || s.stackId === nameOrId);
}

/** Region and account of a stack, from its id. */
function placeOf(stack: FakeStack): { region: string; account: string } {
  const [, , , region, account] = stack.stackId.split(':');
  return { region, account };
}

/** A change set by ARN (any stack), or by name on the named stack. */
export function findChangeSet(scenario: Scenario, stackNameOrId: string | undefined, nameOrArn: string): { stack: FakeStack; changeSet: FakeChangeSet } {
  const notFound = () => new AwsServiceError('ChangeSetNotFound', `ChangeSet [${nameOrArn}] does not exist`, 404);
  if (nameOrArn.startsWith('arn:')) {
    for (const stack of Object.values(scenario.stacks)) {
      const changeSet = Object.values(stack.changeSets ?? {}).find((c) => c.id === nameOrArn);
      if (changeSet) return { stack, changeSet };
    }
    throw notFound();
  }
  if (!stackNameOrId) throw new AwsServiceError('ValidationError', 'StackName must be specified if ChangeSetName is not specified as an ARN.');
  const stack = lookupStack(scenario, stackNameOrId);
  const changeSet = stack?.changeSets?.[nameOrArn];
  if (!stack || !changeSet) throw notFound();
  return { stack, changeSet };
}

/** What a change set shows at `now`: CREATE_PENDING, CREATE_IN_PROGRESS, then its outcome. */
export function changeSetStatusAt(changeSet: FakeChangeSet, now: number): { status: string; statusReason?: string; executionStatus: string; ready: boolean } {
  if (now < changeSet.readyAt) {
    const created = Date.parse(changeSet.createdAt);
    return { status: now < created + (changeSet.readyAt - created) / 2 ? 'CREATE_PENDING' : 'CREATE_IN_PROGRESS', executionStatus: 'UNAVAILABLE', ready: false };
  }
  return { status: changeSet.status, statusReason: changeSet.statusReason, executionStatus: changeSet.executionStatus, ready: true };
}

// ---------------------------------------------------------------------------
// Creating a change set
// ---------------------------------------------------------------------------

export interface CreateChangeSetRequest {
  readonly stackName: string;
  readonly changeSetName: string;
  readonly changeSetType?: string;
  readonly templateBody?: string;
  readonly templateUrl?: string;
  readonly usePreviousTemplate?: boolean;
  readonly parameters: readonly ParameterInput[];
  readonly capabilities: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly description?: string;
}

/**
 * CreateChangeSet. Refuses synchronously what CloudFormation refuses
 * synchronously (names, stack state, template, capabilities, parameters,
 * rules): no stack is created then. Else a CREATE makes the stack in
 * REVIEW_IN_PROGRESS (or reuses one already there), and the change set's
 * outcome (its changes, or FAILED) is decided now and shown after
 * `changeSetDelayMs`.
 */
export function createChangeSet(scenario: Scenario, req: CreateChangeSetRequest, now: number, settings: CfnSettings = scenario.cfn ?? {}): { stack: FakeStack; changeSet: FakeChangeSet } {
  if (!/^[a-zA-Z][-a-zA-Z0-9]*$/.test(req.changeSetName) || req.changeSetName.length > 128) {
    throw new AwsServiceError('ValidationError', `1 validation error detected: Value '${req.changeSetName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
  }
  const type = req.changeSetType ?? 'UPDATE';
  if (type !== 'CREATE' && type !== 'UPDATE') throw new AwsServiceError('ValidationError', `the fake AWS endpoint does not serve ChangeSetType ${type}`);
  const existing = Object.values(scenario.stacks).find((s) => s.stackName === req.stackName && s.status !== 'DELETE_COMPLETE');
  if (type === 'CREATE' && existing && existing.status !== 'REVIEW_IN_PROGRESS') {
    throw new AwsServiceError('ValidationError', `Stack [${req.stackName}] already exists and cannot be created again with the changeSet [${req.changeSetName}].`);
  }
  if (type === 'UPDATE') {
    if (!existing) throw new AwsServiceError('ValidationError', `Stack [${req.stackName}] does not exist`);
    if (!UPDATABLE.has(existing.status)) throw new AwsServiceError('ValidationError', `Stack:${existing.stackId} is in ${existing.status} state and can not be updated.`);
  }
  if (existing?.changeSets?.[req.changeSetName]) {
    throw new AwsServiceError('AlreadyExistsException', `ChangeSet ${req.changeSetName} already exists`);
  }
  const deployed = type === 'UPDATE' ? existing : undefined;
  let templateBody: string;
  if (req.usePreviousTemplate) {
    if (!deployed?.templateBody) throw new AwsServiceError('ValidationError', 'UsePreviousTemplate can only be used with an existing stack');
    templateBody = deployed.templateBody;
  } else if (req.templateBody !== undefined) {
    templateBody = req.templateBody;
  } else if (req.templateUrl !== undefined) {
    templateBody = templateFromUrl(scenario, req.templateUrl);
  } else {
    throw new AwsServiceError('ValidationError', 'Either Template URL or Template Body must be specified.');
  }
  const template = parseTemplateBody(templateBody);
  checkCapabilities(template, req.capabilities);
  if (deployed) checkTypeChanges(deployed, template);
  const parameters = resolveParameters(template, req.parameters, deployed?.parameters);
  const stackId = existing?.stackId ?? `arn:aws:cloudformation:${scenario.region}:${scenario.identity.account}:stack/${req.stackName}/${randomUUID()}`;
  const [, , , region, account] = stackId.split(':');
  const pseudo = pseudoParameters(region, account, req.stackName, stackId);
  checkRules(template, parameters, pseudo);
  evaluateConditions(template, parameters, pseudo);
  // Only now, with nothing left to refuse, a CREATE makes its stack.
  const stack = existing ?? newStack(scenario, req.stackName, stackId, now);

  const id = `arn:aws:cloudformation:${region}:${account}:changeSet/${req.changeSetName}/${randomUUID()}`;
  let changes: FakeResourceChange[] = [];
  let status: FakeChangeSet['status'] = 'CREATE_COMPLETE';
  let statusReason: string | undefined;
  if (settings.failChangeSet) {
    status = 'FAILED';
    statusReason = settings.failChangeSet.reason;
  } else {
    changes = computeChanges(stack, deployed, template, parameters);
    if (type === 'UPDATE' && changes.length === 0 && sameDeployment(deployed!, template, parameters, req.tags)) {
      status = 'FAILED';
      statusReason = NO_CHANGES_REASON;
    }
  }
  const changeSet: FakeChangeSet = {
    name: req.changeSetName,
    id,
    type,
    description: req.description,
    createdAt: new Date(now).toISOString(),
    readyAt: now + (settings.changeSetDelayMs ?? 0),
    status,
    statusReason,
    executionStatus: status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE',
    template,
    templateBody,
    parameters,
    capabilities: [...req.capabilities],
    tags: { ...req.tags },
    changes,
  };
  stack.changeSets = { ...stack.changeSets, [changeSet.name]: changeSet };
  return { stack, changeSet };
}

/** A stack in REVIEW_IN_PROGRESS: what a CREATE change set makes before anything is executed. */
function newStack(scenario: Scenario, stackName: string, stackId: string, now: number): FakeStack {
  const old = scenario.stacks[stackName];
  // A deleted stack of the same name stays describable by its id.
  if (old) scenario.stacks[old.stackId] = old;
  const stack: FakeStack = {
    stackName,
    stackId,
    status: 'REVIEW_IN_PROGRESS',
    statusReason: 'User Initiated',
    creationTime: new Date(now).toISOString(),
    parameters: {},
    outputs: {},
    events: [],
    resources: {},
    changeSets: {},
  };
  stack.events.unshift(stackEvent(stack, 'REVIEW_IN_PROGRESS', now, 'User Initiated', randomUUID()));
  scenario.stacks[stackName] = stack;
  return stack;
}

/** IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM (measured: `Requires capabilities : [CAPABILITY_IAM]`). */
function checkCapabilities(template: Template, capabilities: readonly string[]): void {
  const iam = Object.values(template.Resources as Record<string, any>).filter((r) => String(r.Type).startsWith('AWS::IAM::'));
  const named = iam.some((r) => ['RoleName', 'UserName', 'GroupName', 'ManagedPolicyName', 'InstanceProfileName'].some((p) => r.Properties?.[p] !== undefined));
  const needed = named ? 'CAPABILITY_NAMED_IAM' : iam.length > 0 ? 'CAPABILITY_IAM' : undefined;
  if (!needed) return;
  if (capabilities.includes('CAPABILITY_NAMED_IAM') || (needed === 'CAPABILITY_IAM' && capabilities.includes('CAPABILITY_IAM'))) return;
  throw new AwsServiceError('InsufficientCapabilitiesException', `Requires capabilities : [${needed}]`);
}

function checkTypeChanges(stack: FakeStack, template: Template): void {
  const changed = Object.entries(stack.resources ?? {})
    .filter(([id, r]) => template.Resources[id] && template.Resources[id].Type !== r.type)
    .map(([id]) => id);
  if (changed.length > 0) throw new AwsServiceError('ValidationError', `Update of resource type is not permitted. The new template modifies resource type of the following resources: [${changed.join(', ')}]`);
}

/** Nothing at all would change: same template (as data), same parameter values, same tags. */
function sameDeployment(stack: FakeStack, template: Template, parameters: Record<string, string>, tags: Readonly<Record<string, string>>): boolean {
  return canonical(stack.template ?? {}) === canonical(template) && canonical(stack.parameters) === canonical(parameters) && canonical(stack.tags ?? {}) === canonical(tags);
}

/** JSON with sorted keys and every scalar as text: CloudFormation compares `30` and `"30"` as the same value. */
export function canonical(value: unknown): string {
  if (value instanceof Unresolved) return `<${value.entity}>`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value === undefined || value === null ? null : String(value));
}

// ---------------------------------------------------------------------------
// What a change set changes
// ---------------------------------------------------------------------------

/** The resources the template creates with these parameters: every one whose `Condition` holds. */
function presentResources(template: Template, conditions: Record<string, boolean>): string[] {
  return Object.entries(template.Resources as Record<string, any>)
    .filter(([, r]) => !r.Condition || conditions[r.Condition] === true)
    .map(([id]) => id);
}

/**
 * The resources in dependency levels: level 0 depends on nothing, level n on
 * something at level n-1 (by Ref, Fn::GetAtt, Fn::Sub or DependsOn). What
 * CloudFormation creates in parallel, and deletes in reverse.
 */
export function dependencyLevels(template: Template, ids: readonly string[]): string[][] {
  const present = new Set(ids);
  const deps = new Map<string, string[]>();
  for (const id of ids) {
    const r = template.Resources[id];
    const { refs, atts } = referencedNames(r.Properties ?? {});
    const dependsOn = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    deps.set(id, [...new Set([...refs, ...[...atts].map((a) => a.slice(0, a.indexOf('.'))), ...dependsOn].filter((d) => present.has(d) && d !== id))]);
  }
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    if (level.has(id)) return level.get(id)!;
    if (visiting.has(id)) throw new AwsServiceError('ValidationError', `Circular dependency between resources: [${[...visiting].join(', ')}]`);
    visiting.add(id);
    const d = Math.max(-1, ...deps.get(id)!.map(depth)) + 1;
    visiting.delete(id);
    level.set(id, d);
    return d;
  };
  const levels: string[][] = [];
  for (const id of ids) (levels[depth(id)] ??= []).push(id);
  return levels.filter(Boolean);
}

type PlannedAction = 'Add' | 'Modify' | 'Replace' | 'None';

/**
 * The change set's resource changes: each resource's `Properties` evaluated
 * with the new template and parameters, compared with what is deployed.
 * A `Ref` to a resource that gets a new physical id, or a `Fn::GetAtt` of a
 * resource being changed, is not known yet (Evaluation `Dynamic`), as in
 * CloudFormation; a property that evaluates to the deployed value is no change.
 */
function computeChanges(stack: FakeStack, deployed: FakeStack | undefined, template: Template, parameters: Record<string, string>): FakeResourceChange[] {
  const { region, account } = placeOf(stack);
  const pseudo = pseudoParameters(region, account, stack.stackName, stack.stackId);
  const conditions = evaluateConditions(template, parameters, pseudo);
  const old = deployed?.resources ?? {};
  const ids = presentResources(template, conditions);
  const action = new Map<string, PlannedAction>();
  const ctx: EvalContext = {
    template,
    parameters,
    pseudo,
    condition: conditionOf(conditions),
    ref: (id) => (!old[id] || ['Add', 'Replace'].includes(action.get(id) ?? 'Add') ? new Unresolved(id, 'ResourceReference') : old[id].physicalId),
    getAtt: (id, attr) => (!old[id] || action.get(id) !== 'None' ? new Unresolved(`${id}.${attr}`, 'ResourceAttribute') : attributeValue(old[id], attr, region, account)),
  };
  // A logical id keeps its type: CloudFormation refuses a template that changes it (the id would have to be new).
  const retyped = ids.filter((id) => old[id] && old[id].type !== template.Resources[id].Type);
  if (retyped.length > 0) {
    throw new AwsServiceError('ValidationError', `Update of resource type is not permitted. The new template modifies resource type of the following resources: [${retyped.join(', ')}]`);
  }
  const changes: FakeResourceChange[] = [];
  for (const id of dependencyLevels(template, ids).flat()) {
    const r = template.Resources[id];
    const after = evaluateResource(r, ctx);
    const before = old[id];
    if (!before) {
      action.set(id, 'Add');
      changes.push({ action: 'Add', logicalId: id, type: r.Type, scope: [], details: [], after: shown(after) });
      continue;
    }
    const details = propertyDetails(r.Type, before, after, {
      oldTemplate: deployed?.template?.Resources?.[id],
      newTemplate: r,
      changedParameters: Object.keys(parameters).filter((p) => deployed?.parameters[p] !== parameters[p]),
    });
    if (details.length === 0) {
      action.set(id, 'None');
      continue;
    }
    const replacement = replacementOf(details);
    action.set(id, replacement === 'False' ? 'Modify' : 'Replace');
    changes.push({
      action: 'Modify',
      logicalId: id,
      physicalId: before.physicalId,
      type: r.Type,
      replacement,
      policyAction: replacement === 'True' ? (before.updateReplacePolicy === 'Retain' ? 'ReplaceAndRetain' : 'ReplaceAndDelete') : undefined,
      scope: [...new Set(details.map((d) => d.target.attribute))],
      details,
      before: shown({ properties: before.properties, metadata: before.metadata }),
      after: shown(after),
    });
  }
  for (const [id, before] of Object.entries(old)) {
    if (ids.includes(id)) continue;
    changes.push({
      action: 'Remove',
      logicalId: id,
      physicalId: before.physicalId,
      type: before.type,
      policyAction: before.deletionPolicy === 'Retain' ? 'Retain' : 'Delete',
      scope: [],
      details: [],
      before: shown({ properties: before.properties, metadata: before.metadata }),
    });
  }
  return changes;
}

/** A resource's Properties and Metadata, evaluated. */
function evaluateResource(r: Record<string, any>, ctx: EvalContext): { properties: Record<string, unknown>; metadata?: unknown } {
  return {
    properties: (evaluate(r.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>,
    metadata: r.Metadata === undefined ? undefined : evaluate(r.Metadata, ctx),
  };
}

/** A value as a change set shows it: what is not known yet as CloudFormation writes it. */
const withUnknowns = (x: unknown): unknown =>
  x instanceof Unresolved ? KNOWN_AFTER_APPLY : Array.isArray(x) ? x.map(withUnknowns) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, withUnknowns(y)])) : x;

/** A change set's Before/AfterContext: `{ Properties, Metadata }`. */
function shown(v: { properties: Record<string, unknown>; metadata?: unknown }): Record<string, unknown> {
  return withUnknowns(v.metadata === undefined ? { Properties: v.properties } : { Properties: v.properties, Metadata: v.metadata }) as Record<string, unknown>;
}

const unresolvedIn = (value: unknown): Unresolved[] => {
  if (value instanceof Unresolved) return [value];
  if (Array.isArray(value)) return value.flatMap(unresolvedIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(unresolvedIn);
  return [];
};

/**
 * One `ResourceChangeDetail` per reason a property changes: the template text
 * of the property changed (DirectModification), a parameter it refers to
 * changed (ParameterReference), or it refers to a resource whose id or
 * attribute is not known before the change set runs (Dynamic).
 */
function propertyDetails(
  type: string,
  before: FakeStackResource,
  after: { properties: Record<string, unknown>; metadata?: unknown },
  why: { oldTemplate?: Record<string, any>; newTemplate: Record<string, any>; changedParameters: string[] },
): FakeChangeDetail[] {
  const details: FakeChangeDetail[] = [];
  const names = [...new Set([...Object.keys(before.properties), ...Object.keys(after.properties)])];
  for (const name of names) {
    const [was, is] = [before.properties[name], after.properties[name]];
    const dynamic = unresolvedIn(is);
    if (dynamic.length === 0 && canonical(was) === canonical(is)) continue;
    const attribute = name === 'Tags' ? 'Tags' : 'Properties';
    const target = () => ({
      attribute,
      name: attribute === 'Properties' ? name : undefined,
      requiresRecreation: attribute === 'Tags' ? ('Never' as const) : recreationOf(type, name),
      path: `/Properties/${name}`,
      beforeValue: was === undefined ? undefined : valueText(was),
      afterValue: is === undefined ? undefined : valueText(is),
      attributeChangeType: was === undefined ? 'Add' : is === undefined ? 'Remove' : 'Modify',
    });
    for (const u of uniqueBy(dynamic, (x) => x.entity)) {
      details.push({ target: target(), evaluation: 'Dynamic', changeSource: u.source, causingEntity: u.entity });
    }
    const oldExpr = why.oldTemplate?.Properties?.[name];
    const newExpr = why.newTemplate.Properties?.[name];
    const params = [...referencedNames(newExpr).refs].filter((p) => why.changedParameters.includes(p));
    const textChanged = canonical(oldExpr) !== canonical(newExpr);
    if (dynamic.length > 0 && !textChanged && params.length === 0) continue;
    for (const p of params) details.push({ target: target(), evaluation: 'Static', changeSource: 'ParameterReference', causingEntity: p });
    if (textChanged || params.length === 0) details.push({ target: target(), evaluation: 'Static', changeSource: 'DirectModification' });
  }
  if (canonical(before.metadata) !== canonical(after.metadata)) {
    details.push({ target: { attribute: 'Metadata', requiresRecreation: 'Never' }, evaluation: 'Static', changeSource: 'DirectModification' });
  }
  return details;
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(key(i)) && seen.add(key(i)));
}

function valueText(v: unknown): string {
  const value = withUnknowns(v);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A resource's `Replacement`, the way CloudFormation (and cdk's reading of
 * it) derives it from the details: a static change of a property that
 * requires recreation replaces (True); a dynamic one, or one that requires
 * recreation only conditionally, may (Conditional); else False.
 */
function replacementOf(details: FakeChangeDetail[]): 'True' | 'False' | 'Conditional' {
  if (details.some((d) => d.evaluation === 'Static' && d.target.requiresRecreation === 'Always')) return 'True';
  if (details.some((d) => d.target.requiresRecreation === 'Conditionally' || (d.evaluation === 'Dynamic' && d.target.requiresRecreation === 'Always'))) return 'Conditional';
  return 'False';
}

// ---------------------------------------------------------------------------
// Executing a change set
// ---------------------------------------------------------------------------

interface PlannedResource {
  readonly logicalId: string;
  readonly action: PlannedAction;
  readonly before?: FakeStackResource;
  readonly after: FakeStackResource;
}

interface DeployPlan {
  /** In dependency levels. */
  readonly levels: PlannedResource[][];
  /** Deployed resources the new template no longer has. */
  readonly removed: FakeStackResource[];
  readonly resources: Record<string, FakeStackResource>;
  readonly outputs: Record<string, string>;
}

/**
 * What executing the change set does, resolved: each resource's properties
 * with the real physical ids of everything it refers to (dependencies first),
 * whether it is added, updated in place, replaced (a new physical id) or left
 * alone, and the outputs.
 */
function planDeploy(stack: FakeStack, changeSet: FakeChangeSet, at: string): DeployPlan {
  const { region, account } = placeOf(stack);
  const { template, parameters } = changeSet;
  const pseudo = pseudoParameters(region, account, stack.stackName, stack.stackId);
  const conditions = evaluateConditions(template, parameters, pseudo);
  const old = stack.resources ?? {};
  const ids = presentResources(template, conditions);
  const next: Record<string, FakeStackResource> = {};
  const ctx: EvalContext = {
    template,
    parameters,
    pseudo,
    condition: conditionOf(conditions),
    ref: (id) => next[id]?.physicalId ?? '',
    getAtt: (id, attr) => (next[id] ? attributeValue(next[id], attr, region, account) : ''),
  };
  const levels: PlannedResource[][] = [];
  for (const level of dependencyLevels(template, ids)) {
    const planned: PlannedResource[] = [];
    for (const id of level) {
      const r = template.Resources[id];
      const { properties, metadata } = evaluateResource(r, ctx);
      const before = old[id];
      let action: PlannedAction = 'None';
      if (!before) action = 'Add';
      else if (canonical(before.properties) !== canonical(properties) || canonical(before.metadata) !== canonical(metadata)) {
        const replaced = Object.keys({ ...before.properties, ...properties }).some((p) => canonical(before.properties[p]) !== canonical(properties[p]) && recreationOf(r.Type, p) === 'Always');
        action = replaced ? 'Replace' : 'Modify';
      }
      const generation = !before ? 0 : action === 'Replace' ? before.generation + 1 : before.generation;
      const naming: NamingContext = { stackName: stack.stackName, stackId: stack.stackId, region, account, logicalId: id, generation, properties };
      const physicalId = action === 'Add' || action === 'Replace' ? physicalIdOf(r.Type, naming) : before!.physicalId;
      const after: FakeStackResource =
        action === 'None'
          ? before!
          : {
              logicalId: id,
              type: r.Type,
              physicalId,
              status: action === 'Add' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE',
              lastUpdated: at,
              properties,
              metadata,
              attributes: attributesOf(r.Type, naming, physicalId),
              generation,
              deletionPolicy: r.DeletionPolicy,
              updateReplacePolicy: r.UpdateReplacePolicy,
            };
      next[id] = after;
      planned.push({ logicalId: id, action, before, after });
    }
    levels.push(planned);
  }
  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries((template.Outputs ?? {}) as Record<string, any>)) {
    if (output.Condition && !conditions[output.Condition]) continue;
    const value = evaluate(output.Value, ctx);
    outputs[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return { levels, removed: Object.values(old).filter((r) => !ids.includes(r.logicalId)), resources: next, outputs };
}

/**
 * Builds an operation's steps, `stepMs` apart from `start`. Each event is at
 * least a millisecond after the one before (DescribeStackEvents never shows
 * two at the same time), which can put a busy step's last events a little
 * after the step itself: the step still shows on time, so the first step of
 * an operation (its *_IN_PROGRESS) is there as soon as the call returns.
 */
class Steps {
  readonly steps: FakeOperationStep[] = [];
  private last: number;
  constructor(
    private readonly stack: FakeStack,
    private readonly start: number,
    private readonly stepMs: number,
    private operationId: string,
    private readonly token: string | undefined,
  ) {
    this.last = Math.max(start - 1, ...stack.events.map((e) => Date.parse(e.timestamp)));
  }

  /** A rollback is an operation of its own. */
  newOperation(): void {
    this.operationId = randomUUID();
  }

  add(events: readonly EventSpec[], extra: Omit<FakeOperationStep, 'at' | 'events'> = {}): void {
    const scheduled = this.start + this.steps.length * this.stepMs;
    const built = events.map((e) => {
      this.last = Math.max(scheduled, this.last + 1);
      return e.logicalId === undefined
        ? { ...stackEvent(this.stack, e.status, this.last, e.reason, this.operationId), clientRequestToken: this.token }
        : resourceEvent(this.stack, e, this.last, this.operationId, this.token);
    });
    this.steps.push({ at: scheduled, events: built, ...extra });
  }

  /** A step that changes the stack's status, with the stack's event for it. */
  status(status: string, reason?: string, extra: Omit<FakeOperationStep, 'at' | 'events' | 'status' | 'statusReason'> = {}): void {
    this.add([{ status, reason }], { status, statusReason: reason ?? null, ...extra });
  }
}

interface EventSpec {
  /** Absent: the stack's own event. */
  readonly logicalId?: string;
  readonly physicalId?: string;
  readonly type?: string;
  readonly status: string;
  readonly reason?: string;
}

function stackEvent(stack: FakeStack, status: string, at: number, reason: string | undefined, operationId: string): FakeStackEvent {
  return { eventId: randomUUID(), logicalResourceId: stack.stackName, physicalResourceId: stack.stackId, resourceType: STACK_TYPE, timestamp: new Date(at).toISOString(), resourceStatus: status, resourceStatusReason: reason, operationId };
}

function resourceEvent(stack: FakeStack, e: EventSpec, at: number, operationId: string, clientRequestToken: string | undefined): FakeStackEvent {
  const timestamp = new Date(at).toISOString();
  return {
    eventId: `${e.logicalId}-${e.status}-${timestamp}`,
    logicalResourceId: e.logicalId!,
    physicalResourceId: e.physicalId ?? '',
    resourceType: e.type!,
    timestamp,
    resourceStatus: e.status,
    resourceStatusReason: e.reason,
    operationId,
    clientRequestToken,
  };
}

const ev = (r: FakeStackResource, status: string, reason?: string, physicalId = r.physicalId): EventSpec => ({ logicalId: r.logicalId, physicalId, type: r.type, status, reason });

/**
 * ExecuteChangeSet: plans the whole operation now (its events, outcome and
 * effect) and starts it; {@link advanceStacks} plays it out. Other change
 * sets of the stack are deleted, as CloudFormation does.
 */
export function executeChangeSet(scenario: Scenario, stack: FakeStack, changeSet: FakeChangeSet, now: number, clientRequestToken?: string, settings: CfnSettings = scenario.cfn ?? {}): void {
  const state = changeSetStatusAt(changeSet, now);
  if (!state.ready || state.executionStatus !== 'AVAILABLE') {
    throw new AwsServiceError('InvalidChangeSetStatus', `ChangeSet [${changeSet.id}] cannot be executed in its current execution status of [${state.executionStatus}]`);
  }
  if (stack.operation || (isInProgress(stack.status) && stack.status !== 'REVIEW_IN_PROGRESS')) {
    throw new AwsServiceError('ValidationError', `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
  }
  changeSet.executionStatus = 'EXECUTE_IN_PROGRESS';
  // The others are no longer valid for the stack; this one goes too once it has run.
  stack.changeSets = { [changeSet.name]: changeSet };
  stack.changeSetId = changeSet.id;
  const creating = stack.status === 'REVIEW_IN_PROGRESS';
  const at = new Date(now).toISOString();
  const plan = planDeploy(stack, changeSet, at);
  const commit: FakeStackCommit = {
    template: changeSet.template,
    templateBody: changeSet.templateBody,
    description: typeof changeSet.template.Description === 'string' ? changeSet.template.Description : undefined,
    parameters: changeSet.parameters,
    resources: plan.resources,
    outputs: plan.outputs,
    capabilities: changeSet.capabilities,
    tags: changeSet.tags,
  };
  const steps = new Steps(stack, now, settings.stepMs ?? DEFAULT_STEP_MS, randomUUID(), clientRequestToken);
  const verb = creating ? 'CREATE' : 'UPDATE';
  steps.status(`${verb}_IN_PROGRESS`, 'User Initiated');
  const failing = settings.failResource;
  const done: PlannedResource[] = [];
  for (const level of plan.levels) {
    const changing = level.filter((p) => p.action !== 'None');
    if (changing.length === 0) continue;
    steps.add(changing.flatMap(startEvents));
    const failed = changing.find((p) => p.logicalId === failing?.logicalId);
    if (failed) {
      if (failing!.alarm && failed.before?.type === 'AWS::ECS::Service') {
        const clusterName = String(failed.before.properties.Cluster ?? 'default').split('/').pop()!;
        const service = scenario.clusters[clusterName]?.services[String(failed.before.attributes.Name)];
        if (service) rollServiceBackOnAlarm(scenario, clusterName, service, changeSet.id, failing!.alarm, new Date(now));
      }
      steps.add(changing.map((p) => failEvent(p, p === failed ? failing!.reason : undefined)));
      rollback(steps, creating, [...done, ...changing], failed, changeSet);
      stack.operation = { steps: steps.steps };
      advanceStack(scenario, stack, now);
      return;
    }
    steps.add(changing.map((p) => ev(p.after, p.action === 'Add' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE')));
    done.push(...changing);
  }
  if (creating) {
    steps.status('CREATE_COMPLETE', undefined, { commit });
  } else {
    steps.status('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const oldOnes = [...done.filter((p) => p.action === 'Replace').map((p) => ({ r: p.before!, retain: p.before!.updateReplacePolicy === 'Retain' })), ...plan.removed.map((r) => ({ r, retain: r.deletionPolicy === 'Retain' }))];
    if (oldOnes.length > 0) {
      steps.add(oldOnes.filter((o) => !o.retain).map((o) => ev(o.r, 'DELETE_IN_PROGRESS')));
      steps.add(oldOnes.map((o) => ev(o.r, o.retain ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE')));
    }
    steps.status('UPDATE_COMPLETE', undefined, { commit });
  }
  stack.operation = { steps: steps.steps };
  advanceStack(scenario, stack, now);
}

function startEvents(p: PlannedResource): EventSpec[] {
  if (p.action === 'Add') return [ev(p.after, 'CREATE_IN_PROGRESS', undefined, ''), ev(p.after, 'CREATE_IN_PROGRESS', 'Resource creation Initiated')];
  if (p.action === 'Replace') {
    return [ev(p.before!, 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.'), ev(p.after, 'UPDATE_IN_PROGRESS', 'Resource creation Initiated')];
  }
  return [ev(p.after, 'UPDATE_IN_PROGRESS')];
}

/** The failed resource's event, or the cancellation of one that was under way beside it. */
function failEvent(p: PlannedResource, reason: string | undefined): EventSpec {
  const status = p.action === 'Add' ? 'CREATE_FAILED' : 'UPDATE_FAILED';
  return ev(p.after, status, reason ?? (p.action === 'Add' ? 'Resource creation cancelled' : 'Resource update cancelled'));
}

/**
 * The rollback after `failed`: a new operation that puts back every resource
 * touched (updated ones updated back, new ones deleted) and leaves the stack
 * (template, parameters, resources, world) as it was; a failed create ends
 * ROLLBACK_COMPLETE with no resources.
 */
function rollback(steps: Steps, creating: boolean, touched: PlannedResource[], failed: PlannedResource, changeSet: FakeChangeSet): void {
  steps.newOperation();
  const created = [...touched].reverse().filter((p) => p.action === 'Add' || p.action === 'Replace');
  if (creating) {
    steps.status('ROLLBACK_IN_PROGRESS', `The following resource(s) failed to create: [${failed.logicalId}]. Rollback requested by user.`);
    deleteCreated(steps, created);
    steps.status('ROLLBACK_COMPLETE', undefined, {
      commit: { template: changeSet.template, templateBody: changeSet.templateBody, parameters: changeSet.parameters, resources: {}, outputs: {}, capabilities: changeSet.capabilities, tags: changeSet.tags },
    });
    return;
  }
  const verb = failed.action === 'Add' ? 'create' : 'update';
  steps.status('UPDATE_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to ${verb}: [${failed.logicalId}]. `);
  const updated = [...touched].reverse().filter((p) => p.action === 'Modify' || p.action === 'Replace');
  if (updated.length > 0) {
    steps.add(updated.map((p) => ev(p.before!, 'UPDATE_IN_PROGRESS')));
    steps.add(updated.map((p) => ev(p.before!, 'UPDATE_COMPLETE')));
  }
  steps.status('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  deleteCreated(steps, created);
  steps.status('UPDATE_ROLLBACK_COMPLETE');
}

/**
 * A rollback deletes what the failed operation created, newest first; a
 * resource whose DeletionPolicy is `Retain` is skipped (kept in the account),
 * as on any delete. (The fake's world never saw these resources: it changes
 * only when an operation commits.)
 */
function deleteCreated(steps: Steps, created: readonly PlannedResource[]): void {
  if (created.length === 0) return;
  const retained = (p: PlannedResource) => p.after.deletionPolicy === 'Retain';
  steps.add(created.filter((p) => !retained(p)).map((p) => ev(p.after, 'DELETE_IN_PROGRESS')));
  steps.add(created.map((p) => ev(p.after, retained(p) ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE')));
}

// ---------------------------------------------------------------------------
// Deleting a stack
// ---------------------------------------------------------------------------

/**
 * DeleteStack: a stack that does not exist is no error (CloudFormation
 * answers success). Resources go in reverse dependency order; `Retain` ones
 * are skipped and stay in the world. With `failDelete`, the named resource
 * fails and the deletion stops there: it and everything not deleted yet stay
 * (in the stack and the world), and the stack ends DELETE_FAILED.
 */
export function deleteStack(scenario: Scenario, nameOrId: string, now: number, clientRequestToken?: string, settings: CfnSettings = scenario.cfn ?? {}): void {
  const stack = lookupStack(scenario, nameOrId);
  if (!stack || stack.status === 'DELETE_COMPLETE' || stack.status === 'DELETE_IN_PROGRESS') return;
  if (stack.operation || isInProgress(stack.status)) {
    throw new AwsServiceError('ValidationError', `Stack [${stack.stackName}] cannot be deleted while in status ${stack.status}`);
  }
  const resources = stack.resources ?? {};
  const order = stack.template ? dependencyLevels(stack.template, Object.keys(resources).filter((id) => stack.template!.Resources[id])).reverse() : [];
  const leftover = Object.keys(resources).filter((id) => !order.flat().includes(id));
  if (leftover.length > 0) order.push(leftover);
  const steps = new Steps(stack, now, settings.stepMs ?? DEFAULT_STEP_MS, randomUUID(), clientRequestToken);
  steps.status('DELETE_IN_PROGRESS', 'User Initiated');
  const failing = settings.failDelete;
  const failId = failing ? (failing.logicalId ?? order.flat()[0]) : undefined;
  const remaining = { ...resources };
  for (const level of order) {
    const rs = level.map((id) => resources[id]);
    if (rs.length === 0) continue;
    steps.add(rs.filter((r) => r.deletionPolicy !== 'Retain').map((r) => ev(r, 'DELETE_IN_PROGRESS')));
    const failed = rs.find((r) => r.logicalId === failId);
    steps.add(rs.map((r) => (r === failed ? ev(r, 'DELETE_FAILED', failing!.reason) : ev(r, r.deletionPolicy === 'Retain' ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE'))));
    for (const r of rs) if (r !== failed) delete remaining[r.logicalId];
    if (failed) {
      const commit: FakeStackCommit = {
        template: stack.template ?? {},
        templateBody: stack.templateBody ?? '',
        description: stack.description,
        parameters: stack.parameters,
        resources: remaining,
        outputs: stack.outputs,
        capabilities: stack.capabilities ?? [],
        tags: stack.tags ?? {},
      };
      steps.status('DELETE_FAILED', `The following resource(s) failed to delete: [${failed.logicalId}]. `, { commit });
      stack.operation = { steps: steps.steps };
      advanceStack(scenario, stack, now);
      return;
    }
  }
  steps.status('DELETE_COMPLETE', undefined, { deleted: true });
  stack.operation = { steps: steps.steps };
  advanceStack(scenario, stack, now);
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

/** Reveals every step whose time has come, in every stack. */
export function advanceStacks(scenario: Scenario, now: number): void {
  for (const stack of Object.values(scenario.stacks)) advanceStack(scenario, stack, now);
}

/** Epoch ms of the next step of any stack, or undefined when nothing is under way. */
export function nextStepAt(scenario: Scenario): number | undefined {
  const times = Object.values(scenario.stacks).flatMap((s) => (s.operation?.steps.length ? [s.operation.steps[0].at] : []));
  return times.length > 0 ? Math.min(...times) : undefined;
}

function advanceStack(scenario: Scenario, stack: FakeStack, now: number): void {
  const op = stack.operation;
  if (!op) return;
  while (op.steps.length > 0 && op.steps[0].at <= now) applyStep(scenario, stack, op.steps.shift()!);
  if (op.steps.length > 0) return;
  delete stack.operation;
  // CloudFormation removes a stack's change sets once one has been executed.
  stack.changeSets = {};
}

function applyStep(scenario: Scenario, stack: FakeStack, step: FakeOperationStep): void {
  stack.events.unshift(...[...step.events].reverse());
  if (step.status) {
    stack.status = step.status;
    stack.statusReason = step.statusReason ?? undefined;
    if (['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'].includes(step.status)) stack.lastUpdatedTime = step.events[0]?.timestamp ?? stack.lastUpdatedTime;
  }
  const at = step.events[step.events.length - 1]?.timestamp ?? new Date(step.at).toISOString();
  if (step.commit) {
    const before = stack.resources ?? {};
    Object.assign(stack, {
      template: step.commit.template,
      templateBody: step.commit.templateBody,
      description: step.commit.description,
      parameters: step.commit.parameters,
      resources: step.commit.resources,
      outputs: step.commit.outputs,
      capabilities: step.commit.capabilities,
      tags: step.commit.tags,
    });
    applyWorld(scenario, stack, before, step.commit.resources, at);
  }
  if (step.deleted) {
    applyWorld(scenario, stack, stack.resources ?? {}, {}, at);
    stack.resources = {};
    stack.changeSets = {};
    stack.deletionTime = at;
  }
}

// ---------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------

export interface DeployStackOptions {
  readonly stackName: string;
  /** The template object (what the project's synth writes). */
  readonly template: Record<string, any>;
  /**
   * Parameter values. A parameter not given keeps the stack's value if it is
   * deployed already (as `cdk deploy` passes `UsePreviousValue`), else takes
   * its template default.
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * When the deploy finished (default: now). Its events lead up to it a
   * millisecond apart, so they are in the past and before anything the test
   * does next.
   */
  readonly at?: Date;
}

/**
 * Puts the stack in the scenario as if `cdk deploy` had created or updated it:
 * CreateChangeSet and ExecuteChangeSet through the same code the API runs,
 * played to the end at once, and the world (ECS services and tasks, target
 * groups, stages, log groups) derived from it. Injected failures and delays
 * of `scenario.cfn` do not apply to a seed. Throws if CloudFormation would
 * refuse the template or parameters. Returns the stack.
 */
export function deployStack(scenario: Scenario, options: DeployStackOptions): FakeStack {
  const end = options.at?.getTime() ?? Date.now();
  // Room for every event a millisecond apart: a resource has at most 3 per operation, the stack 4.
  const now = end - 3 * Object.keys(options.template.Resources ?? {}).length - 4;
  const existing = Object.values(scenario.stacks).find((s) => s.stackName === options.stackName && s.status !== 'DELETE_COMPLETE');
  const given = options.parameters ?? {};
  const inputs: ParameterInput[] = Object.keys(options.template.Parameters ?? {}).flatMap((k): ParameterInput[] =>
    k in given ? [{ ParameterKey: k, ParameterValue: given[k] }] : existing && k in existing.parameters ? [{ ParameterKey: k, UsePreviousValue: true }] : [],
  );
  const unknown = Object.keys(given).filter((k) => !(k in (options.template.Parameters ?? {})));
  if (unknown.length > 0) throw new Error(`deployStack: the template has no parameter ${unknown.join(', ')}`);
  const settings: CfnSettings = { stepMs: 0, changeSetDelayMs: 0 };
  const update = existing !== undefined && existing.status !== 'REVIEW_IN_PROGRESS';
  const { stack, changeSet } = createChangeSet(
    scenario,
    {
      stackName: options.stackName,
      changeSetName: `seed-${token(`${now}${Math.random()}`, 8, 'abcdefghij')}`,
      changeSetType: update ? 'UPDATE' : 'CREATE',
      templateBody: JSON.stringify(options.template, null, 1),
      parameters: inputs,
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      tags: existing?.tags ?? {},
    },
    now,
    settings,
  );
  if (changeSet.status === 'FAILED') {
    delete stack.changeSets![changeSet.name];
    if (changeSet.statusReason === NO_CHANGES_REASON) return stack;
    throw new Error(`deployStack: change set FAILED: ${changeSet.statusReason}`);
  }
  executeChangeSet(scenario, stack, changeSet, now, undefined, settings);
  advanceStack(scenario, stack, Infinity);
  if (!/^(CREATE|UPDATE)_COMPLETE$/.test(stack.status)) throw new Error(`deployStack: the stack ended ${stack.status}: ${stack.statusReason ?? ''}`);
  return stack;
}
