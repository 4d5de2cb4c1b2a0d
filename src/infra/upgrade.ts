import { parse as parseYaml } from 'yaml';
import { outputName } from '../config/names.js';

/**
 * Upgrading a stack in place: what the deployed template says, read before a
 * deploy. A stack the older single-environment tool made (v0.6 to v0.18)
 * holds its REST API, the API's routes and its `prod` stage under other
 * logical ids than this template's; deployed as they are, CloudFormation
 * would delete them and create new ones, and with a new API comes a new
 * endpoint URL. {@link keptIdsOf} finds those ids, so the synthesized stack
 * takes them over (`overrideLogicalId`) and CloudFormation updates them in
 * place; {@link foreseeReplacements} says, before anything runs, what the
 * deploy replaces all the same.
 */

/** A CloudFormation template as read back from the stack, checked only as far as used here. */
export interface DeployedTemplate {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown>; readonly DependsOn?: unknown; readonly DeletionPolicy?: unknown }>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value?: unknown }>>;
  readonly Parameters?: Readonly<Record<string, unknown>>;
}

/** Characters of a template body read at most (CloudFormation's own limit is 1 MB). */
export const TEMPLATE_BODY_MAX = 1_048_576;

/**
 * The stack's template as GetTemplate returns it: JSON (the older tool's
 * deploys) or YAML (cdk sends an inline template as YAML). Undefined when it
 * is empty, too large, or not a template: then nothing is kept and nothing
 * foreseen.
 */
export function parseDeployedTemplate(body: string | undefined): DeployedTemplate | undefined {
  if (typeof body !== 'string' || body.trim() === '' || body.length > TEMPLATE_BODY_MAX) return undefined;
  let parsed: unknown;
  try {
    parsed = body.trimStart().startsWith('{') ? JSON.parse(body) : parseYaml(body, { schema: 'yaml-1.1', maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed.Resources)) return undefined;
  for (const r of Object.values(parsed.Resources)) if (!isRecord(r) || typeof r.Type !== 'string' || (r.Properties !== undefined && !isRecord(r.Properties))) return undefined;
  if (parsed.Outputs !== undefined && !isRecord(parsed.Outputs)) return undefined;
  return parsed as unknown as DeployedTemplate;
}

import { OLDER_TOOL_RANGE } from './older-tool-range.js';
export { OLDER_TOOL_RANGE };

export interface OlderToolStack {
  /** The older tool's version that last deployed the stack (its `StackVersion` output). */
  readonly version: string;
  /** Whether {@link OLDER_TOOL_RANGE} holds it: only then are its ids kept. */
  readonly recognized: boolean;
}

/**
 * Whether the deployed template is one the older tool made: its
 * `WebhookEndpoint` and `StackVersion` outputs, its `ImageTag` parameter and
 * no `ProdImageTag`.
 */
export function olderToolStack(template: DeployedTemplate | undefined): OlderToolStack | undefined {
  if (!template) return undefined;
  const outputs = template.Outputs ?? {};
  const parameters = template.Parameters ?? {};
  if (!isRecord(outputs.WebhookEndpoint) || !('ImageTag' in parameters) || 'ProdImageTag' in parameters) return undefined;
  const value = outputs.StackVersion?.Value;
  const version = typeof value === 'string' && /^\d{1,3}\.\d{1,3}\.\d{1,3}([-+][0-9A-Za-z.-]{1,64})?$/.test(value) ? value : 'unknown';
  return { version, recognized: version !== 'unknown' && inRange(version) };
}

function inRange(version: string): boolean {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return major === 0 && minor >= 6 && minor <= 18;
}

/**
 * The deployed logical ids this stack takes over, so that CloudFormation
 * updates those resources instead of replacing them: the REST API (its id is
 * the endpoint's host), the routes on it (a second `ANY` method or `{proxy+}`
 * resource on the same API could not be created beside the first), and the
 * `prod` stage (its name is the endpoint's path). Found by what they are, not
 * by name, in the older tool's template and in one this stack deployed after
 * taking them over; the synthesized stack applies an id only where it differs
 * from its own.
 */
export interface KeptIds {
  readonly restApi: string;
  readonly rootMethod?: string;
  readonly proxyResource?: string;
  readonly proxyMethod?: string;
  readonly prodStage?: string;
}

const LOGICAL_ID_RE = /^[A-Za-z0-9]{1,255}$/;

/** The ids to keep, or undefined when the template has not exactly one REST API (nothing to keep then). */
export function keptIdsOf(template: DeployedTemplate | undefined): KeptIds | undefined {
  if (!template) return undefined;
  // Ids come from outside: only what CloudFormation itself accepts as a logical id is taken over.
  const resources = Object.entries(template.Resources)
    .filter(([id]) => LOGICAL_ID_RE.test(id))
    .sort(([a], [b]) => a.localeCompare(b));
  const apis = resources.filter(([, r]) => r.Type === 'AWS::ApiGateway::RestApi').map(([id]) => id);
  if (apis.length !== 1) return undefined;
  const restApi = apis[0];
  const props = (r: { Properties?: Record<string, unknown> }) => r.Properties ?? {};
  const isRoot = (v: unknown) => same(v, { 'Fn::GetAtt': [restApi, 'RootResourceId'] });
  const onApi = (v: unknown) => same(v, { Ref: restApi });
  const first = (type: string, test: (p: Record<string, unknown>) => boolean) => resources.find(([, r]) => r.Type === type && test(props(r)))?.[0];
  const rootMethod = first('AWS::ApiGateway::Method', (p) => p.HttpMethod === 'ANY' && isRoot(p.ResourceId) && onApi(p.RestApiId));
  const proxyResource = first('AWS::ApiGateway::Resource', (p) => p.PathPart === '{proxy+}' && isRoot(p.ParentId) && onApi(p.RestApiId));
  const proxyMethod = proxyResource ? first('AWS::ApiGateway::Method', (p) => p.HttpMethod === 'ANY' && same(p.ResourceId, { Ref: proxyResource }) && onApi(p.RestApiId)) : undefined;
  const prodStage = first('AWS::ApiGateway::Stage', (p) => p.StageName === 'prod' && onApi(p.RestApiId));
  return { restApi, ...(rootMethod ? { rootMethod } : {}), ...(proxyResource ? { proxyResource } : {}), ...(proxyMethod ? { proxyMethod } : {}), ...(prodStage ? { prodStage } : {}) };
}

/** What a deploy replaces of what users depend on: the API, a load balancer, the running prod service. */
export interface ForeseenReplacement {
  readonly role: 'api' | 'load balancer' | 'prod service';
  readonly logicalId: string;
  readonly type: string;
  /** Why, in words: removed from the template, or a property whose change replaces it. */
  readonly why: string;
}

/** Properties whose change makes CloudFormation replace the resource ("Update requires: Replacement"). */
const REPLACING: Readonly<Record<string, readonly string[]>> = {
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['Name', 'Scheme', 'Type'],
  'AWS::ECS::Service': ['Cluster', 'DeploymentController', 'LaunchType', 'Role', 'SchedulingStrategy', 'ServiceName'],
  'AWS::ApiGateway::RestApi': [],
};

/** Defaults CloudFormation takes for a property a template leaves out, where they matter here. */
const DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { Scheme: 'internet-facing', Type: 'application' },
};

/**
 * The API, load balancers and prod services of the deployed template that the
 * next template replaces: gone from it (deleted, a new one created), of
 * another type, or with a property changed that CloudFormation can only
 * change by replacing. The prod service is the one the stack's
 * `ProdServiceName` output names, or, in the older tool's stack, its service.
 */
export function foreseeReplacements(deployed: DeployedTemplate, next: DeployedTemplate): ForeseenReplacement[] {
  const prodServices = new Set<string>();
  const named = deployed.Outputs?.[outputName('prod', 'ServiceName')]?.Value;
  const target = isRecord(named) && Array.isArray(named['Fn::GetAtt']) ? named['Fn::GetAtt'][0] : undefined;
  if (typeof target === 'string') prodServices.add(target);
  else if (olderToolStack(deployed)) for (const [id, r] of Object.entries(deployed.Resources)) if (r.Type === 'AWS::ECS::Service') prodServices.add(id);
  const roleOf = (id: string, type: string): ForeseenReplacement['role'] | undefined =>
    type === 'AWS::ApiGateway::RestApi' ? 'api' : type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' ? 'load balancer' : type === 'AWS::ECS::Service' && prodServices.has(id) ? 'prod service' : undefined;
  const found: ForeseenReplacement[] = [];
  for (const [id, before] of Object.entries(deployed.Resources).sort(([a], [b]) => a.localeCompare(b))) {
    const role = roleOf(id, before.Type);
    if (!role) continue;
    const after = next.Resources[id];
    if (!after) {
      found.push({ role, logicalId: id, type: before.Type, why: 'not in the new template: deleted once the new one is created' });
      continue;
    }
    if (after.Type !== before.Type) {
      found.push({ role, logicalId: id, type: before.Type, why: `becomes ${after.Type}` });
      continue;
    }
    const defaults = DEFAULTS[before.Type] ?? {};
    const changed = (REPLACING[before.Type] ?? []).filter((p) => !same(before.Properties?.[p] ?? defaults[p], after.Properties?.[p] ?? defaults[p]));
    if (changed.length > 0) found.push({ role, logicalId: id, type: before.Type, why: `${changed.map((p) => `${p} ${describe(before.Properties?.[p] ?? defaults[p])} -> ${describe(after.Properties?.[p] ?? defaults[p])}`).join(', ')}` });
  }
  return found;
}

/**
 * The deployed resources the next template no longer holds, beside the
 * replacements {@link foreseeReplacements} names: deleted once the update is
 * done. Sorted by logical id.
 */
export function removedResources(deployed: DeployedTemplate, next: DeployedTemplate): { logicalId: string; type: string; retained: boolean }[] {
  return Object.entries(deployed.Resources)
    .filter(([id]) => next.Resources[id] === undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    // DeletionPolicy Retain (or RetainExceptOnCreate): CloudFormation lets the resource go from the stack but keeps it.
    .map(([logicalId, r]) => ({ logicalId, type: r.Type, retained: typeof r.DeletionPolicy === 'string' && r.DeletionPolicy.startsWith('Retain') }));
}

/** A property value in a few words: literals as they are, intrinsics by name. */
function describe(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isRecord(v) && typeof v.Ref === 'string') return `Ref ${v.Ref}`;
  return 'a computed value';
}

/**
 * The endpoint of the `prod` stage of the deployed stack: its `ProdEndpoint`
 * output, or the older tool's `WebhookEndpoint` (which ends in `/`).
 */
export function deployedProdEndpoint(outputs: Readonly<Record<string, string>>): string | undefined {
  return outputs[outputName('prod', 'Endpoint')] ?? outputs.WebhookEndpoint;
}

/** An endpoint without the trailing `/` the older tool wrote: the same URL as this stack's output. */
export function sameEndpoint(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isRecord(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
