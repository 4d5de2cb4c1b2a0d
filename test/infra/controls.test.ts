import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { App, Stack, type IPolicyValidationContextBeta1 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { StackProfiles } from '../../src/config/pairing.js';
import { CONTROL_ACKNOWLEDGEMENTS, controlIdOf } from '../../src/infra/controls.js';
import { SharedInfrastructure } from '../../src/infra/shared-infrastructure.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

/** One failing control on one resource. */
interface Failure {
  readonly control: string;
  readonly resource: string;
  readonly type: string;
}

const dirs: string[] = [];
function scratch(): string {
  const dir = tempDir('bd-controls-');
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CONTROL_TOWER_RULES = join(dirname(createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard');

/**
 * Runs the Control Tower rules the validator ships (all of them, or those of
 * the named services' folders) on a template file; one entry per control and resource.
 */
function failingControls(templatePath: string, services?: readonly string[]): Failure[] {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string }> };
  const validator = services
    ? new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: services.map((s) => join(CONTROL_TOWER_RULES, s)) })
    : new CfnGuardValidator({});
  // The plugin reads only the template paths of its context.
  const report = validator.validate({ templatePaths: [templatePath] } as Pick<IPolicyValidationContextBeta1, 'templatePaths'> as IPolicyValidationContextBeta1);
  const failures = report.violations.flatMap((v) => {
    const control = controlIdOf(v.description);
    if (!control) throw new Error(`a finding with no Control Tower id: ${v.ruleName}: ${v.description}`);
    return v.violatingResources.map((r) => ({ control, resource: r.resourceLogicalId, type: template.Resources[r.resourceLogicalId]?.Type ?? '(not a resource)' }));
  });
  expect(report.success).toBe(failures.length === 0);
  const seen = new Set<string>();
  return failures
    .filter((f) => !seen.has(`${f.control} ${f.resource}`) && seen.add(`${f.control} ${f.resource}`))
    .sort((a, b) => `${a.control} ${a.resource}`.localeCompare(`${b.control} ${b.resource}`));
}

function writeTemplate(template: unknown): string {
  const path = join(scratch(), 'template.json');
  writeFileSync(path, JSON.stringify(template, null, 1));
  return path;
}

const NO_VALUE = JSON.stringify({ Ref: 'AWS::NoValue' });

/**
 * The template as a Control Tower hook would check it whatever the parameters:
 * a list entry written as `Fn::If` (a queue consumer's container, present only
 * when `<Env>Consumers` names it) becomes each of its branches, `AWS::NoValue`
 * dropped. cfn-guard does not evaluate conditions, and a hook sees only the
 * entries CloudFormation resolved; checking every branch is the stricter of the two.
 * A hook also sees a parameter's value, not its `Ref`: a `Ref` to a parameter
 * becomes its default (a number for a Number parameter), as a deploy with the
 * profiles' values would pass it (the container memory limits are `<Env>Memory`).
 * Returns the resources it changed.
 */
function withEveryConditionalEntry(template: Record<string, any>): { template: Record<string, any>; changed: string[] } {
  let touched = false;
  const parameters = (template.Parameters ?? {}) as Record<string, { Type: string; Default?: string | number }>;
  const expand = (value: unknown): unknown => {
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'Ref' in value) {
      const p = parameters[(value as { Ref: string }).Ref];
      if (p && p.Default !== undefined) {
        touched = true;
        return p.Type === 'Number' ? Number(p.Default) : p.Default;
      }
    }
    if (Array.isArray(value)) {
      return value.flatMap((entry) => {
        if (entry && typeof entry === 'object' && !Array.isArray(entry) && Object.keys(entry).length === 1 && 'Fn::If' in entry) {
          touched = true;
          const [, ifTrue, ifFalse] = (entry as { 'Fn::If': unknown[] })['Fn::If'];
          return [ifTrue, ifFalse].filter((b) => JSON.stringify(b) !== NO_VALUE).map(expand);
        }
        return [expand(entry)];
      });
    }
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
    return value;
  };
  const changed: string[] = [];
  const resources = Object.fromEntries(
    Object.entries(template.Resources as Record<string, any>).map(([id, resource]) => {
      touched = false;
      const expanded = expand(resource);
      if (touched) changed.push(id);
      return [id, expanded];
    }),
  );
  return { template: { ...template, Resources: resources }, changed };
}

const CASES: [string, () => StackProfiles][] = [
  ['dev and prod, both with allow-lists', () => stackProfiles({ prod: { webhookAllowList: '203.0.113.0/24' }, dev: { webhookAllowList: '192.0.2.0/28' } })],
  ['prod only, no allow-list', () => stackProfiles({ dev: false })],
];

const ACKNOWLEDGED = CONTROL_ACKNOWLEDGEMENTS.map((a) => a.control).sort();

describe.each(CASES)('AWS Control Tower proactive controls (cfn-guard), %s', (_name, profiles) => {
  let raw: Failure[];
  let failures: Failure[];
  let conditional: string[];

  beforeAll(() => {
    const synth = synthesizeStack(profiles(), join(scratch(), 'out'));
    raw = failingControls(synth.templatePath);
    const resolved = withEveryConditionalEntry(synth.template);
    conditional = resolved.changed;
    failures = failingControls(writeTemplate(resolved.template));
  }, 120_000);

  it('fails exactly the acknowledged controls: none without a reason, no reason without a failure', () => {
    expect([...new Set(failures.map((f) => f.control))].sort()).toEqual(ACKNOWLEDGED);
  });

  it('fails each acknowledged control only on the resource types its acknowledgement names', () => {
    const outside = failures.filter((f) => !CONTROL_ACKNOWLEDGEMENTS.some((a) => a.control === f.control && a.resourceTypes.includes(f.type)));
    expect(outside).toEqual([]);
  });

  it('checks the conditional container entries as present, and that hides nothing else', () => {
    // The rules ran on the template as written too; anything failing only there
    // must be on a resource whose Fn::If entries or parameter Refs the expansion replaced.
    const key = (f: Failure) => `${f.control} ${f.resource}`;
    const onlyRaw = raw.filter((f) => !failures.some((g) => key(g) === key(f)));
    expect(onlyRaw.filter((f) => !conditional.includes(f.resource))).toEqual([]);
  });
});

describe('the controls the shared infrastructure meets, on both sides', () => {
  const sharedFailures = (props: ConstructorParameters<typeof SharedInfrastructure>[2]) => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false, treeMetadata: false }), 'Shared');
    new SharedInfrastructure(stack, 'Shared', props);
    return failingControls(writeTemplate(Template.fromStack(stack).toJSON()), ['cloudwatch', 'ec2']);
  };

  it('public subnets assign no public address and the flow log is kept a year; a month fails CT.CLOUDWATCH.PR.2', () => {
    const byDefault = sharedFailures({});
    expect(byDefault.filter((f) => f.control === 'CT.EC2.PR.11' || f.control === 'CT.CLOUDWATCH.PR.2')).toEqual([]);
    const month = sharedFailures({ flowLogRetention: logs.RetentionDays.ONE_MONTH });
    expect(month.filter((f) => f.control === 'CT.CLOUDWATCH.PR.2').map((f) => f.type)).toEqual(['AWS::Logs::LogGroup']);
  }, 60_000);
});

describe('withEveryConditionalEntry', () => {
  it('makes each branch of a conditional list entry an entry, drops AWS::NoValue, and names the resources it changed', () => {
    const template = {
      Resources: {
        A: { Type: 'T', Properties: { List: [{ x: 1 }, { 'Fn::If': ['C', { x: 2 }, { Ref: 'AWS::NoValue' }] }, { 'Fn::If': ['D', { x: 3 }, { x: 4 }] }] } },
        B: { Type: 'T', Properties: { Value: { 'Fn::If': ['C', 'a', 'b'] }, List: [{ Ref: 'X' }] } },
      },
    };
    const { template: out, changed } = withEveryConditionalEntry(template);
    expect(out.Resources.A.Properties.List).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }]);
    expect(out.Resources.B).toEqual(template.Resources.B);
    expect(changed).toEqual(['A']);
  });
});

describe('README security section', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Security\n'), readme.indexOf('\n## ', readme.indexOf('\n## Security\n') + 1));
  const rows = section.split('\n').filter((line) => /^\| `CT\./.test(line));

  it.each(CONTROL_ACKNOWLEDGEMENTS.map((a) => [a.control, a] as const))('lists %s with its resource types and its reason', (control, ack) => {
    const row = rows.find((line) => line.startsWith(`| \`${control}\``));
    expect(row, `no row for ${control}`).toBeDefined();
    for (const type of ack.resourceTypes) expect(row).toContain(`\`${type}\``);
    expect(row).toContain(ack.reason);
  });

  it('lists no control that is not acknowledged', () => {
    expect(rows.map((line) => /^\| `([^`]+)`/.exec(line)![1]).sort()).toEqual(ACKNOWLEDGED);
  });
});
