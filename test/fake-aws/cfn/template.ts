/**
 * CloudFormation's template language, as the fake needs it: reading a
 * template body (JSON or YAML with the short `!Ref` tags), resolving the
 * parameters of a change set the way CloudFormation does (given value,
 * `UsePreviousValue`, template `Default`), refusing what CloudFormation
 * refuses (constraints, `Rules`) with its error codes and messages, and
 * evaluating intrinsic functions. Pure functions; nothing here knows about
 * stacks in time.
 *
 * Messages marked "measured" are CloudFormation's own words as reported from
 * real accounts; the others follow their form but were not seen verbatim.
 */
import { createRequire } from 'node:module';
import type { CollectionTag, ScalarTag, Tags } from 'yaml';
import { AwsServiceError } from '../protocols.js';

type Yaml = typeof import('yaml');
let yamlModule: Yaml | undefined;

/**
 * The `yaml` package, loaded on the first YAML template only: the rest of
 * the fake imports nothing but node: modules, so bundles of it (benches,
 * serve.mjs) keep working without a CommonJS shim.
 */
function yaml(): Yaml {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as Yaml);
}

/** A parsed template: plain JSON data. */
export type Template = Record<string, any>;

/** One entry of a change set's `Parameters` as the API takes it. */
export interface ParameterInput {
  readonly ParameterKey?: string;
  readonly ParameterValue?: string;
  readonly UsePreviousValue?: string | boolean;
}

/** Intrinsic functions that have a YAML short form, and the key each expands to. */
const SHORT_TAGS: Readonly<Record<string, string>> = {
  Ref: 'Ref',
  Condition: 'Condition',
  ...Object.fromEntries(
    ['Sub', 'Join', 'Split', 'Select', 'If', 'Equals', 'And', 'Or', 'Not', 'Base64', 'FindInMap', 'ImportValue', 'GetAZs', 'Cidr', 'Contains', 'EachMemberEquals', 'EachMemberIn', 'ValueOf', 'ValueOfAll', 'RefAll', 'Length', 'ToJsonString', 'Transform'].map(
      (n) => [n, `Fn::${n}`],
    ),
  ),
};

/** `!Fn value` -> `{ 'Fn::Fn': value }` for scalars, sequences and maps (the same tags the aws-cdk CLI registers). */
function cfnTags(): (ScalarTag | CollectionTag)[] {
  const { Pair, Scalar, YAMLMap } = yaml();
  const wrapNode = (key: string) => (value: unknown) => {
    const map = new YAMLMap();
    map.items.push(new Pair(new Scalar(key), value));
    return map;
  };
  const tags: (ScalarTag | CollectionTag)[] = [];
  for (const [short, key] of Object.entries(SHORT_TAGS)) {
    tags.push({ tag: `!${short}`, resolve: (value: string) => ({ [key]: value }) } as ScalarTag);
    tags.push({ tag: `!${short}`, collection: 'seq', resolve: wrapNode(key) } as unknown as CollectionTag);
    tags.push({ tag: `!${short}`, collection: 'map', resolve: wrapNode(key) } as unknown as CollectionTag);
  }
  // `!GetAtt Res.Attr` splits at the first dot; the sequence form is as written.
  tags.push({ tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] }) } as ScalarTag);
  tags.push({ tag: '!GetAtt', collection: 'seq', resolve: wrapNode('Fn::GetAtt') } as unknown as CollectionTag);
  return tags;
}

/**
 * YAML 1.1, as the aws-cdk CLI writes templates (`yaml.stringify(t, { schema:
 * 'yaml-1.1' })`), but a date-like plain scalar stays a string: CloudFormation
 * reads `Version: 2012-10-17` as text.
 */
const yamlCustomTags = (defaults: Tags): Tags => [...defaults.filter((t) => (typeof t === 'string' ? t !== 'timestamp' : t.tag !== 'tag:yaml.org,2002:timestamp')), ...cfnTags()];

/**
 * The template a `TemplateBody` holds. JSON when it starts with `{`, else
 * YAML. A body that is neither, or not an object, is CloudFormation's
 * `Template format error`.
 */
export function parseTemplateBody(body: string): Template {
  const text = body.trim();
  let parsed: unknown;
  if (text.startsWith('{')) {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new AwsServiceError('ValidationError', `Template format error: JSON not well-formed. (${String((error as Error).message)})`);
    }
  } else {
    const doc = yaml().parseDocument(text, { schema: 'yaml-1.1', customTags: yamlCustomTags, prettyErrors: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new AwsServiceError('ValidationError', `Template format error: YAML not well-formed. (line ${(e.linePos?.[0].line ?? 0)}, column ${(e.linePos?.[0].col ?? 0)})`);
    }
    parsed = doc.toJS({ maxAliasCount: 1000 });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsServiceError('ValidationError', 'Template format error: unsupported structure.');
  }
  const template = parsed as Template;
  if (!template.Resources || typeof template.Resources !== 'object' || Object.keys(template.Resources).length === 0) {
    // Measured: a template must declare at least one resource.
    throw new AwsServiceError('ValidationError', 'Template format error: At least one Resources member must be defined.');
  }
  checkReferences(template);
  return template;
}

/** Names a `Ref` may use besides parameters and resources. */
export const PSEUDO_PARAMETERS = ['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'];

/**
 * The template errors CloudFormation answers before any stack changes:
 * a `Ref` to nothing (measured: `Unresolved resource dependencies [X] in the
 * Resources block of the template`), an `Fn::GetAtt` of no resource, an
 * `Fn::If` of no condition.
 */
function checkReferences(template: Template): void {
  const resources = template.Resources as Record<string, any>;
  const known = new Set([...Object.keys(template.Parameters ?? {}), ...Object.keys(resources), ...PSEUDO_PARAMETERS]);
  const conditions = new Set(Object.keys(template.Conditions ?? {}));
  for (const [section, block] of [['Resources', resources], ['Outputs', template.Outputs ?? {}]] as const) {
    const unresolved = new Set<string>();
    walk(block, (node) => {
      if ('Ref' in node && typeof node.Ref === 'string' && !known.has(node.Ref)) unresolved.add(node.Ref);
      if ('Fn::GetAtt' in node) {
        const [id] = getAttArgs(node['Fn::GetAtt']);
        if (!(id in resources)) throw new AwsServiceError('ValidationError', `Template error: instance of Fn::GetAtt references undefined resource ${id}`);
      }
      if ('Fn::Sub' in node) {
        const [text, vars] = subArgs(node['Fn::Sub']);
        for (const name of subNames(text)) {
          const base = name.includes('.') ? name.slice(0, name.indexOf('.')) : name;
          if (!(name in vars) && !known.has(base)) unresolved.add(base);
        }
      }
      if ('Fn::If' in node && Array.isArray(node['Fn::If']) && !conditions.has(node['Fn::If'][0])) {
        throw new AwsServiceError('ValidationError', `Template format error: Unresolved condition dependencies [${node['Fn::If'][0]}] in Fn::If`);
      }
    });
    if (unresolved.size > 0) throw new AwsServiceError('ValidationError', `Template format error: Unresolved resource dependencies [${[...unresolved].join(', ')}] in the ${section} block of the template`);
  }
}

function walk(node: unknown, visit: (obj: Record<string, any>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Record<string, any>);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

const isTrue = (v: unknown): boolean => v === true || v === 'true';

/**
 * The parameter values a change set deploys with, as CloudFormation resolves
 * them: a given `ParameterValue`; `UsePreviousValue` takes the stack's value
 * now; a parameter not given at all takes its template `Default` (NOT the
 * previous value: a caller that forgets `UsePreviousValue` resets the
 * parameter, and CloudFormation does exactly that). Then every value is
 * checked against its constraints. Throws CloudFormation's `ValidationError`.
 *
 * @param previous the stack's parameter values now, or undefined for a new stack
 */
export function resolveParameters(template: Template, inputs: readonly ParameterInput[], previous: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const declared = (template.Parameters ?? {}) as Record<string, Record<string, any>>;
  const unknown = inputs.map((p) => p.ParameterKey ?? '').filter((k) => !(k in declared));
  if (unknown.length > 0) throw new AwsServiceError('ValidationError', `Parameters: [${unknown.join(', ')}] do not exist in the template`);
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const input = inputs.find((p) => p.ParameterKey === name);
    if (input && isTrue(input.UsePreviousValue)) {
      if (!previous || !(name in previous)) {
        throw new AwsServiceError('ValidationError', `Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
      }
      values[name] = previous[name];
    } else if (input && input.ParameterValue !== undefined) {
      values[name] = String(input.ParameterValue);
    } else if (spec.Default !== undefined) {
      values[name] = Array.isArray(spec.Default) ? spec.Default.join(',') : String(spec.Default);
    } else {
      missing.push(name);
    }
  }
  // Measured: `Parameters: [KeyName] must have values`.
  if (missing.length > 0) throw new AwsServiceError('ValidationError', `Parameters: [${missing.join(', ')}] must have values`);
  for (const [name, spec] of Object.entries(declared)) checkConstraints(name, spec, values[name]);
  return values;
}

/**
 * One parameter's constraints, as the Parameters reference defines them:
 * `AllowedPattern` must match the WHOLE value (each member of a list),
 * `AllowedValues`, `MinLength`/`MaxLength` for strings, `MinValue`/`MaxValue`
 * for numbers. A `ConstraintDescription` replaces the reason in the message.
 * Measured: `Parameter 'X' must match pattern P`, `Parameter 'X' must be one
 * of AllowedValues`.
 */
export function checkConstraints(name: string, spec: Record<string, any>, value: string): void {
  const type = String(spec.Type ?? 'String');
  const isList = type === 'CommaDelimitedList' || type.startsWith('List<');
  const members = isList ? value.split(',').map((m) => m.trim()) : [value];
  const fail = (reason: string): never => {
    throw new AwsServiceError('ValidationError', spec.ConstraintDescription ? `Parameter '${name}' failed to satisfy constraint: ${spec.ConstraintDescription}` : `Parameter '${name}' ${reason}`);
  };
  if (type === 'Number' || type === 'List<Number>') {
    for (const m of members) if (m.trim() === '' || !Number.isFinite(Number(m))) fail('must be a number');
  }
  if (spec.AllowedValues !== undefined) {
    const allowed = (spec.AllowedValues as unknown[]).map(String);
    if (!members.every((m) => allowed.includes(m))) fail('must be one of AllowedValues');
  }
  if (spec.AllowedPattern !== undefined) {
    const pattern = new RegExp(`^(?:${String(spec.AllowedPattern)})$`, 'u');
    if (!members.every((m) => pattern.test(m))) fail(`must match pattern ${spec.AllowedPattern}`);
  }
  if (type === 'String') {
    if (spec.MinLength !== undefined && value.length < Number(spec.MinLength)) fail(`must contain at least ${spec.MinLength} characters`);
    if (spec.MaxLength !== undefined && value.length > Number(spec.MaxLength)) fail(`must contain at most ${spec.MaxLength} characters`);
  }
  if (type === 'Number' || type === 'List<Number>') {
    for (const m of members) {
      if (spec.MinValue !== undefined && Number(m) < Number(spec.MinValue)) fail(`must be a number not less than ${spec.MinValue}`);
      if (spec.MaxValue !== undefined && Number(m) > Number(spec.MaxValue)) fail(`must be a number not greater than ${spec.MaxValue}`);
    }
  }
}

/** A parameter as `Ref` hands it out: list types as lists, everything else as the string. */
export function parameterValue(template: Template, name: string, value: string): string | string[] {
  const type = String(template.Parameters?.[name]?.Type ?? 'String');
  return type === 'CommaDelimitedList' || type.startsWith('List<') ? value.split(',').map((m) => m.trim()) : value;
}

/** Parameter values as the API shows them: `****` for `NoEcho`. */
export function shownParameters(template: Template | undefined, values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, isTrue(template?.Parameters?.[k]?.NoEcho) ? '****' : v]));
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

/** The functions CloudFormation accepts in a `Rules` block (measured: `Fn::If` is refused there). */
const RULE_FUNCTIONS = new Set(['Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::Equals', 'Fn::Contains', 'Fn::EachMemberEquals', 'Fn::EachMemberIn', 'Ref']);

/**
 * Checks the template's `Rules` against the parameters: a rule whose
 * `RuleCondition` holds (or that has none) must have every `Assert` true,
 * else CloudFormation refuses the change set with a `ValidationError` whose
 * message is the `AssertDescription`.
 */
export function checkRules(template: Template, values: Readonly<Record<string, string>>, pseudo: Readonly<Record<string, unknown>>): void {
  const rules = (template.Rules ?? {}) as Record<string, { RuleCondition?: unknown; Assertions?: { Assert: unknown; AssertDescription?: string }[] }>;
  const used = new Set<string>();
  walk(rules, (node) => Object.keys(node).filter((k) => k === 'Ref' || k.startsWith('Fn::')).forEach((k) => used.add(k)));
  const unsupported = [...used].filter((f) => !RULE_FUNCTIONS.has(f)).sort();
  if (unsupported.length > 0) throw new AwsServiceError('ValidationError', `Template format error: Following functions are not supported in the Rules block of the template: [${unsupported.join(', ')}]`);
  const evalRule = (expr: any): unknown => {
    if (Array.isArray(expr)) return expr.map(evalRule);
    if (!expr || typeof expr !== 'object') return expr;
    const [fn, args] = Object.entries(expr)[0] as [string, any];
    switch (fn) {
      case 'Ref':
        if (args in values) return parameterValue(template, args, values[args]);
        if (args in pseudo) return pseudo[args];
        throw new AwsServiceError('ValidationError', `Template format error: Unresolved resource dependencies [${args}] in the Rules block of the template`);
      case 'Fn::Equals': {
        const [a, b] = [evalRule(args[0]), evalRule(args[1])];
        return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
      }
      case 'Fn::Not':
        return !evalRule(args[0]);
      case 'Fn::And':
        return (args as unknown[]).every((a) => evalRule(a) === true);
      case 'Fn::Or':
        return (args as unknown[]).some((a) => evalRule(a) === true);
      case 'Fn::Contains':
        return (evalRule(args[0]) as unknown[]).map(String).includes(String(evalRule(args[1])));
      case 'Fn::EachMemberEquals':
        return (evalRule(args[0]) as unknown[]).every((m) => String(m) === String(evalRule(args[1])));
      case 'Fn::EachMemberIn': {
        const allowed = (evalRule(args[1]) as unknown[]).map(String);
        return (evalRule(args[0]) as unknown[]).every((m) => allowed.includes(String(m)));
      }
      default:
        return expr;
    }
  };
  for (const [name, rule] of Object.entries(rules)) {
    if (rule.RuleCondition !== undefined && evalRule(rule.RuleCondition) !== true) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (evalRule(assertion.Assert) !== true) {
        throw new AwsServiceError('ValidationError', assertion.AssertDescription ?? `Template error: rule ${name} failed`);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Intrinsic functions
// ---------------------------------------------------------------------------

/** `AWS::NoValue`: the property (or list member) it stands for is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/**
 * A value CloudFormation cannot know before the change set runs: a `Ref` to a
 * resource that will get a new physical id, a `Fn::GetAtt` of a resource
 * that will be updated. Any function given one returns it.
 */
export class Unresolved {
  constructor(
    /** `Logical` (a Ref) or `Logical.Attribute` (a GetAtt): the change set's `CausingEntity`. */
    readonly entity: string,
    readonly source: 'ResourceReference' | 'ResourceAttribute',
  ) {}
}

/** What an expression is evaluated against. */
export interface EvalContext {
  readonly template: Template;
  readonly parameters: Readonly<Record<string, string>>;
  readonly pseudo: Readonly<Record<string, unknown>>;
  /** Whether a template condition holds. */
  condition(name: string): boolean;
  /** A resource's `Ref` value (its physical id), or an {@link Unresolved}. */
  ref(logicalId: string): unknown;
  /** A resource's attribute, or an {@link Unresolved}. */
  getAtt(logicalId: string, attribute: string): unknown;
}

/** The AWS pseudo parameters of a stack in `region` of `account`. */
export function pseudoParameters(region: string, account: string, stackName: string, stackId: string): Record<string, unknown> {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return {
    'AWS::AccountId': account,
    'AWS::Region': region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': stackId,
    'AWS::NotificationARNs': [],
    'AWS::NoValue': NO_VALUE,
  };
}

/** Every condition of the template, true or false, for these parameters. */
export function evaluateConditions(template: Template, parameters: Readonly<Record<string, string>>, pseudo: Readonly<Record<string, unknown>>): Record<string, boolean> {
  const defs = (template.Conditions ?? {}) as Record<string, unknown>;
  const out: Record<string, boolean> = {};
  const noResources = (id: string): never => {
    throw new AwsServiceError('ValidationError', `Template format error: Unresolved dependencies [${id}]. Cannot reference resources in the Conditions block of the template`);
  };
  const ctx: EvalContext = {
    template,
    parameters,
    pseudo,
    condition: (name) => {
      if (!(name in out)) {
        if (!(name in defs)) noResources(name);
        out[name] = evaluate(defs[name], ctx) === true;
      }
      return out[name];
    },
    ref: noResources,
    getAtt: noResources,
  };
  for (const name of Object.keys(defs)) ctx.condition(name);
  return out;
}

/** An {@link EvalContext}'s `condition` over conditions already evaluated. */
export const conditionOf =
  (conditions: Readonly<Record<string, boolean>>) =>
  (name: string): boolean =>
    conditions[name] === true;

function getAttArgs(args: unknown): [string, string] {
  if (typeof args === 'string') return [args.slice(0, args.indexOf('.')), args.slice(args.indexOf('.') + 1)];
  const [id, attr] = args as [string, unknown];
  return [id, String(attr)];
}

function subArgs(args: unknown): [string, Record<string, unknown>] {
  return typeof args === 'string' ? [args, {}] : [String((args as unknown[])[0]), ((args as unknown[])[1] ?? {}) as Record<string, unknown>];
}

/** The `${Name}` references of an `Fn::Sub` string (`${!Literal}` is not one). */
function subNames(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1].trim());
}

const firstUnresolved = (values: unknown[]): Unresolved | undefined => values.find((v): v is Unresolved => v instanceof Unresolved);

/**
 * Evaluates an expression as CloudFormation does at deploy time: parameters,
 * pseudo parameters, conditions, mappings, and resources through the
 * context's `ref`/`getAtt`. `AWS::NoValue` drops the member it stands for.
 * A function it does not know is a bug of the fake and throws.
 */
export function evaluate(expr: unknown, ctx: EvalContext): unknown {
  if (expr === null || typeof expr !== 'object') return expr;
  if (Array.isArray(expr)) {
    return expr.map((e) => evaluate(e, ctx)).filter((v) => v !== NO_VALUE);
  }
  const entries = Object.entries(expr as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, args] = entries[0];
    const value = evaluateFunction(fn, args, ctx);
    if (value !== NOT_A_FUNCTION) return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const value = evaluate(v, ctx);
    if (value !== NO_VALUE) out[k] = value;
  }
  return out;
}

const NOT_A_FUNCTION = Symbol('not a function');

function evaluateFunction(fn: string, args: any, ctx: EvalContext): unknown {
  const ev = (e: unknown) => evaluate(e, ctx);
  switch (fn) {
    case 'Ref': {
      const name = String(args);
      if (name in ctx.parameters) return parameterValue(ctx.template, name, ctx.parameters[name]);
      if (name in ctx.pseudo) return ctx.pseudo[name];
      return ctx.ref(name);
    }
    case 'Fn::GetAtt': {
      const [id, attr] = getAttArgs(args);
      return ctx.getAtt(id, typeof attr === 'string' ? attr : String(ev(attr)));
    }
    case 'Condition':
      return ctx.condition(String(args));
    case 'Fn::Equals': {
      const [a, b] = [ev(args[0]), ev(args[1])];
      return String(a) === String(b);
    }
    case 'Fn::Not':
      return !ev(args[0]);
    case 'Fn::And':
      return (args as unknown[]).every((a) => ev(a) === true);
    case 'Fn::Or':
      return (args as unknown[]).some((a) => ev(a) === true);
    case 'Fn::If': {
      const [name, yes, no] = args as [string, unknown, unknown];
      return ev(ctx.condition(name) ? yes : no);
    }
    case 'Fn::Join': {
      const list = ev(args[1]);
      if (list instanceof Unresolved) return list;
      const parts = list as unknown[];
      return firstUnresolved(parts) ?? parts.map(String).join(String(args[0]));
    }
    case 'Fn::Split': {
      const text = ev(args[1]);
      return text instanceof Unresolved ? text : String(text).split(String(args[0]));
    }
    case 'Fn::Select': {
      const list = ev(args[1]);
      if (list instanceof Unresolved) return list;
      const index = Number(ev(args[0]));
      const items = list as unknown[];
      if (!(index >= 0 && index < items.length)) throw new AwsServiceError('ValidationError', `Template error: Fn::Select cannot select nonexistent value at index ${index}`);
      return items[index];
    }
    case 'Fn::Sub': {
      const [text, vars] = subArgs(args);
      const values = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, ev(v)]));
      const parts: unknown[] = [];
      const result = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
        if (name.startsWith('!')) return `\${${name.slice(1)}}`;
        const key = name.trim();
        let value: unknown;
        if (key in values) value = values[key];
        else if (key.includes('.')) value = ev({ 'Fn::GetAtt': getAttArgs(key) });
        else value = ev({ Ref: key });
        parts.push(value);
        return value instanceof Unresolved ? whole : String(value);
      });
      return firstUnresolved(parts) ?? result;
    }
    case 'Fn::Base64': {
      const text = ev(args);
      return text instanceof Unresolved ? text : Buffer.from(String(text)).toString('base64');
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = (args as unknown[]).map((a) => ev(a));
      const value = ctx.template.Mappings?.[String(map)]?.[String(top)]?.[String(second)];
      if (value === undefined) throw new AwsServiceError('ValidationError', `Template error: Unable to get mapping for ${map}::${top}::${second}`);
      return value;
    }
    case 'Fn::GetAZs': {
      const region = String(ev(args) || ctx.pseudo['AWS::Region']);
      return ['a', 'b', 'c'].map((z) => `${region}${z}`);
    }
    case 'Fn::ImportValue':
      throw new AwsServiceError('ValidationError', `No export named ${String(ev(args))} found. Rollback requested by user.`);
    default:
      return NOT_A_FUNCTION;
  }
}

/** Logical ids an expression refers to: `Ref`, `Fn::GetAtt` and `${X}`/`${X.Attr}` in `Fn::Sub`, parameters included. */
export function referencedNames(expr: unknown): { refs: Set<string>; atts: Set<string> } {
  const refs = new Set<string>();
  const atts = new Set<string>();
  walk(expr, (node) => {
    if (typeof node.Ref === 'string') refs.add(node.Ref);
    if ('Fn::GetAtt' in node) {
      const [id, attr] = getAttArgs(node['Fn::GetAtt']);
      atts.add(`${id}.${attr}`);
    }
    if ('Fn::Sub' in node) {
      const [text, vars] = subArgs(node['Fn::Sub']);
      for (const name of subNames(text)) {
        if (name in vars) continue;
        if (name.includes('.')) atts.add(name);
        else refs.add(name);
      }
    }
  });
  return { refs, atts };
}
