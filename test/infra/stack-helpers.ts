import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveStackProfiles, type StackProfiles } from '../../src/config/pairing.js';
import type { EnvironmentName } from '../../src/config/schema.js';
import type { LoadedProfile } from '../../src/config/store.js';
import { checkProfile } from '../../src/config/validate.js';
import { WebhookStack } from '../../src/infra/webhook-stack.js';
import { devProfile, prodProfile } from '../helpers/fixtures.js';

/** A profile file object checked by the real profile validator, as the store would load it. */
export function loadedProfile(raw: Record<string, unknown>): LoadedProfile {
  const name = String(raw.profile);
  const check = checkProfile(raw, `${name}.json`, name);
  if (!check.ok) throw new Error(`test fixture ${name}.json is not a valid profile:\n${check.problems.join('\n')}`);
  return { name, path: `${name}.json`, profile: check.profile, file: check.file, problems: [], v06: false, warnings: [] };
}

/**
 * The stack's profiles from fixture overrides, paired by the real pairing
 * rules. `dev: false` leaves dev out (prod only).
 */
export function stackProfiles(options: { prod?: Record<string, unknown>; dev?: Record<string, unknown> | false } = {}): StackProfiles {
  const profiles = [loadedProfile(prodProfile(options.prod))];
  if (options.dev !== false) profiles.push(loadedProfile(devProfile(options.dev ?? {})));
  return resolveStackProfiles(profiles);
}

export interface BuiltStack {
  readonly app: App;
  readonly stack: WebhookStack;
  readonly template: Template;
  readonly json: Record<string, any>;
}

/** A fresh App and stack; the built-in template validator is off (one test turns it on). */
export function buildStack(profiles: StackProfiles, appProps: ConstructorParameters<typeof App>[0] = {}): BuiltStack {
  const app = new App({ builtinCloudFormationValidation: false, treeMetadata: false, ...appProps });
  const stack = new WebhookStack(app, profiles.place.stackName, { profiles });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

export const TITLE: Record<EnvironmentName, 'Dev' | 'Prod'> = { dev: 'Dev', prod: 'Prod' };

/** Logical ids of the resources of one type. */
export function idsOfType(json: Record<string, any>, type: string): string[] {
  return Object.entries(json.Resources as Record<string, { Type: string }>)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}

/** The one logical id of `type` whose id starts with the environment's construct id (`Dev...`, `Prod...`). */
export function envResource(json: Record<string, any>, env: EnvironmentName, type: string, name = ''): string {
  const ids = idsOfType(json, type).filter((id) => id.startsWith(`${TITLE[env]}${name}`));
  if (ids.length !== 1) throw new Error(`expected one ${type} for ${env}${name ? ` (${name})` : ''}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0];
}

/** Everything an IAM role may do: its inline policies, the AWS::IAM::Policy resources attached to it, and its managed policies. */
export function policiesOfRole(json: Record<string, any>, roleId: string): unknown[] {
  const role = json.Resources[roleId];
  const attached = Object.values(json.Resources as Record<string, any>).filter(
    (r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })),
  );
  return [...(role.Properties.Policies ?? []), ...(role.Properties.ManagedPolicyArns ?? []), ...attached.map((p) => p.Properties.PolicyDocument)];
}

/** Statements of every policy attached to a role, flattened. */
export function statementsOfRole(json: Record<string, any>, roleId: string): Record<string, any>[] {
  return policiesOfRole(json, roleId).flatMap((p: any) => (p && typeof p === 'object' && 'Statement' in p ? p.Statement : []));
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Pseudo parameters as CloudFormation would give them in a commercial-partition region. */
export const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** The template's parameters at their defaults, as strings (CloudFormation hands every value to a Ref as one). */
export function parameterDefaults(json: Record<string, any>): Record<string, string> {
  return Object.fromEntries(Object.entries(json.Parameters as Record<string, any>).map(([k, p]) => [k, String(p.Default)]));
}

/**
 * Evaluates the intrinsic functions the template uses, as CloudFormation
 * would, with `params` (parameter values, then pseudo parameters) and the
 * template's conditions. Throws on a function it does not know or a Ref it
 * cannot resolve, so a test never compares against a half-evaluated value.
 */
export function evaluate(expr: any, params: Record<string, string>, conditions: Record<string, any> = {}): any {
  const value = (name: string): string => {
    const v = params[name] ?? PSEUDO[name];
    if (v === undefined) throw new Error(`cannot resolve Ref ${name}`);
    return v;
  };
  if (typeof expr === 'string' || typeof expr === 'number' || typeof expr === 'boolean') return expr;
  if (Array.isArray(expr)) return expr.map((e) => evaluate(e, params, conditions));
  if ('Ref' in expr) return value(expr.Ref);
  if ('Fn::Equals' in expr) return evaluate(expr['Fn::Equals'][0], params, conditions) === evaluate(expr['Fn::Equals'][1], params, conditions);
  if ('Fn::Not' in expr) return !evaluate(expr['Fn::Not'][0], params, conditions);
  if ('Fn::Or' in expr) return (expr['Fn::Or'] as unknown[]).some((e) => evaluate(e, params, conditions) === true);
  if ('Fn::Contains' in expr) return (evaluate(expr['Fn::Contains'][0], params, conditions) as unknown[]).includes(evaluate(expr['Fn::Contains'][1], params, conditions));
  if ('Fn::Select' in expr) {
    const list = evaluate(expr['Fn::Select'][1], params, conditions);
    const index = Number(expr['Fn::Select'][0]);
    if (!(index >= 0 && index < list.length)) throw new Error(`Fn::Select index ${index} out of range of ${JSON.stringify(list)}`);
    return list[index];
  }
  if ('Fn::Split' in expr) return String(evaluate(expr['Fn::Split'][1], params, conditions)).split(expr['Fn::Split'][0]);
  if ('Fn::Join' in expr) return evaluate(expr['Fn::Join'][1], params, conditions).join(expr['Fn::Join'][0]);
  if ('Fn::If' in expr) {
    const [name, ifTrue, ifFalse] = expr['Fn::If'];
    if (!(name in conditions)) throw new Error(`unknown condition ${name}`);
    return evaluate(evaluate(conditions[name], params, conditions) ? ifTrue : ifFalse, params, conditions);
  }
  if ('Fn::Sub' in expr) {
    const [body, vars] = typeof expr['Fn::Sub'] === 'string' ? [expr['Fn::Sub'], {}] : expr['Fn::Sub'];
    return (body as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => (name in vars ? String(evaluate(vars[name], params, conditions)) : value(name)));
  }
  throw new Error(`cannot evaluate ${JSON.stringify(expr)}`);
}

/** Every logical id (parameter or resource) a value refers to, by Ref or inside an Fn::Sub string; pseudo parameters left out. */
export function referredIds(expr: unknown): string[] {
  const text = JSON.stringify(expr);
  const refs = [...text.matchAll(/"Ref":"([A-Za-z0-9:]+)"/g)].map((m) => m[1]);
  const subs = [...text.matchAll(/\$\{([A-Za-z0-9:]+)\}/g)].map((m) => m[1]);
  return [...new Set([...refs, ...subs])].filter((n) => !n.startsWith('AWS::')).sort();
}
