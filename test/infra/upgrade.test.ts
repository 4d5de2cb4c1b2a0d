import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stringify as yamlStringify } from 'yaml';
import { WebhookStack } from '../../src/infra/webhook-stack.js';
import { foreseeReplacements, keptIdsOf, olderToolStack, parseDeployedTemplate, removedResources, TEMPLATE_BODY_MAX, type DeployedTemplate, type KeptIds } from '../../src/infra/upgrade.js';
import { planConfirmationWord, replacementRefusal, replacementRows } from '../../src/infra/operations.js';
import { stackProfiles } from './stack-helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'older-tool');
const fixture = (version: string): DeployedTemplate => parseDeployedTemplate(readFileSync(join(FIXTURES, `v${version}.template.json`), 'utf8'))!;

function synth(keep?: KeptIds, dev = false): Record<string, any> {
  const app = new App({ builtinCloudFormationValidation: false, treeMetadata: false });
  const profiles = stackProfiles(dev ? {} : { dev: false });
  const stack = new WebhookStack(app, profiles.place.stackName, { profiles, ...(keep ? { keep } : {}) });
  return Template.fromStack(stack).toJSON();
}

describe('the deployed template', () => {
  it('is read as JSON (the older tool) or YAML (cdk sends an inline template as YAML); anything else is no template', () => {
    const json = fixture('0.18.0');
    expect(parseDeployedTemplate(yamlStringify(json, { schema: 'yaml-1.1' }))).toEqual(json);
    for (const body of ['', '   ', '{"Resources": 3}', '{"Resources": {"A": {"Type": 1}}}', '[1]', 'Resources: [', `{"Resources":{}, "x": "${'a'.repeat(TEMPLATE_BODY_MAX)}"}`]) {
      expect(parseDeployedTemplate(body), body.slice(0, 40)).toBeUndefined();
    }
    expect(parseDeployedTemplate('{"Resources": {}}')).toEqual({ Resources: {} });
  });

  it("recognizes the older tool's stacks from v0.6 to v0.18 by their outputs and parameters, and not this stack's", () => {
    expect(olderToolStack(fixture('0.6.2'))).toEqual({ version: '0.6.2', recognized: true });
    expect(olderToolStack(fixture('0.18.0'))).toEqual({ version: '0.18.0', recognized: true });
    const at = (version: unknown) => olderToolStack({ ...fixture('0.6.2'), Outputs: { ...fixture('0.6.2').Outputs, StackVersion: { Value: version } } });
    expect(at('0.5.4')).toEqual({ version: '0.5.4', recognized: false });
    expect(at('0.19.0')).toEqual({ version: '0.19.0', recognized: false });
    expect(at('0.6.0')).toEqual({ version: '0.6.0', recognized: true });
    expect(at('0.18.3-20260615T191957Z')).toEqual({ version: '0.18.3-20260615T191957Z', recognized: true });
    expect(at({ Ref: 'x' })).toEqual({ version: 'unknown', recognized: false });
    expect(at('0.7.0\u001b[2J')).toEqual({ version: 'unknown', recognized: false });
    expect(olderToolStack(synth() as DeployedTemplate)).toBeUndefined();
  });

  it('finds the API, its routes and its prod stage by what they are', () => {
    expect(keptIdsOf(fixture('0.6.2'))).toEqual({
      restApi: 'BenchlingWebhookAPI8A262423',
      rootMethod: 'BenchlingWebhookAPIANYC63EA03E',
      proxyResource: 'BenchlingWebhookAPIproxyBF5BF08A',
      proxyMethod: 'BenchlingWebhookAPIproxyANY8B455BA3',
      prodStage: 'BenchlingWebhookAPIDeploymentStageprod2F5EACF4',
    });
    // v0.18 routes everything through {proxy+}: no method on the root.
    expect(keptIdsOf(fixture('0.18.0'))).toEqual({
      restApi: 'BenchlingWebhookRestAPI205BD88B',
      proxyResource: 'BenchlingWebhookRestAPIproxyDAFE03BA',
      proxyMethod: 'BenchlingWebhookRestAPIproxyANY7431A1E5',
      prodStage: 'BenchlingWebhookRestAPIDeploymentStageprod2BC880AB',
    });
    const two = { Resources: { A: { Type: 'AWS::ApiGateway::RestApi' }, B: { Type: 'AWS::ApiGateway::RestApi' } } };
    expect(keptIdsOf(two)).toBeUndefined();
    expect(keptIdsOf({ Resources: { 'Bad-Id': { Type: 'AWS::ApiGateway::RestApi' } } })).toBeUndefined();
  });
});

describe('the stack takes the ids over', () => {
  it('a fresh stack is unchanged: no ids, or its own ids read back, give the same template', () => {
    const fresh = synth(undefined, true);
    expect(synth(keptIdsOf(fresh as DeployedTemplate), true)).toEqual(fresh);
  });

  it.each(['0.6.2', '0.18.0'])("v%s: the API, routes and prod stage get the older ids; the stage waits for the prod service; the same inputs give the same template", (version) => {
    const keep = keptIdsOf(fixture(version))!;
    const t = synth(keep);
    const ids = Object.values(keep);
    for (const id of ids) expect(t.Resources[id], id).toBeDefined();
    expect(t.Resources[keep.restApi].Type).toBe('AWS::ApiGateway::RestApi');
    expect(t.Resources[keep.prodStage!]).toMatchObject({ Type: 'AWS::ApiGateway::Stage', Properties: { StageName: 'prod', RestApiId: { Ref: keep.restApi } } });
    const service = t.Outputs.ProdServiceName.Value['Fn::GetAtt'][0];
    expect(t.Resources[keep.prodStage!].DependsOn).toContain(service);
    expect(t.Resources[keep.proxyMethod!].Properties.ResourceId).toEqual({ Ref: keep.proxyResource });
    expect(Object.keys(t.Resources).filter((id) => t.Resources[id].Type === 'AWS::ApiGateway::RestApi')).toEqual([keep.restApi]);
    expect(synth(keep)).toEqual(t);
    // Nothing of the older stack's API is replaced; its load balancer and service are.
    const replaced = foreseeReplacements(fixture(version), t as DeployedTemplate);
    expect(replaced.map((r) => r.role).sort()).toEqual(['load balancer', 'prod service']);
    // The rest of the older stack is deleted after the update; nothing taken over is.
    const removed = removedResources(fixture(version), t as DeployedTemplate).map((r) => r.logicalId);
    for (const id of ids) expect(removed).not.toContain(id);
    expect(removed).toContain('FargateServiceBenchlingWebhookCluster163F6AB9');
    expect(removed).toEqual(Object.keys(fixture(version).Resources).filter((id) => t.Resources[id] === undefined).sort((a, b) => a.localeCompare(b)));
  });
});

describe('what a deploy replaces', () => {
  const ours = synth() as DeployedTemplate;
  const lb = Object.keys(ours.Resources).find((id) => ours.Resources[id].Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')!;
  const changed = (f: (t: any) => void): DeployedTemplate => {
    const t = structuredClone(ours) as any;
    f(t);
    return t;
  };

  it('nothing, between a template and itself', () => {
    expect(foreseeReplacements(ours, ours)).toEqual([]);
  });

  it("a load balancer whose Scheme or Type changes, one that is gone, and only the prod service: not dev's", () => {
    expect(foreseeReplacements(ours, changed((t) => (t.Resources[lb].Properties.Scheme = 'internet-facing')))).toEqual([{ role: 'load balancer', logicalId: lb, type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', why: 'Scheme internal -> internet-facing' }]);
    // Left out, a Type is CloudFormation's default: application.
    expect(foreseeReplacements(ours, changed((t) => delete t.Resources[lb].Properties.Type))[0].why).toBe('Type network -> application');
    expect(foreseeReplacements(ours, changed((t) => delete t.Resources[lb]))[0].why).toMatch(/^not in the new template/);
    const both = synth(undefined, true) as DeployedTemplate;
    const devService = both.Outputs!.DevServiceName.Value as any;
    const prodService = both.Outputs!.ProdServiceName.Value as any;
    const renamed = (id: string) => { const t = structuredClone(both) as any; t.Resources[id].Properties.ServiceName = 'other'; return t; };
    expect(foreseeReplacements(both, renamed(devService['Fn::GetAtt'][0]))).toEqual([]);
    expect(foreseeReplacements(both, renamed(prodService['Fn::GetAtt'][0]))).toMatchObject([{ role: 'prod service', why: 'ServiceName (none) -> other' }]);
  });

  it('what leaves the stack: deleted, or kept in the account by DeletionPolicy Retain, each said on its own row', () => {
    const deployed = { Resources: { Kept: { Type: 'AWS::ECS::Cluster' }, Logs: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain' }, Queue: { Type: 'AWS::SQS::Queue', DeletionPolicy: 'Delete' }, Role: { Type: 'AWS::IAM::Role' } } };
    const removed = removedResources(deployed, { Resources: { Kept: { Type: 'AWS::ECS::Cluster' } } });
    expect(removed).toEqual([
      { logicalId: 'Logs', type: 'AWS::Logs::LogGroup', retained: true },
      { logicalId: 'Queue', type: 'AWS::SQS::Queue', retained: false },
      { logicalId: 'Role', type: 'AWS::IAM::Role', retained: false },
    ]);
    const rows = replacementRows({ stackName: 'S', replacement: { replaced: [], removed, stageWaits: false } });
    expect(rows.find((r) => r.label === 'deletes')?.value).toBe('2 more resources the new template does not hold, once the update is done: 1 AWS::IAM::Role, 1 AWS::SQS::Queue');
    expect(rows.find((r) => r.label === 'retains')?.value).toBe('1 resource the new template does not hold leaves the stack but stays in the account (DeletionPolicy Retain): 1 AWS::Logs::LogGroup');
  });

  it("the API replaced: the plan says the URL is new, the calls that fail, and the side-by-side path", () => {
    const rows = replacementRows({
      stackName: 'BenchlingWebhookStack',
      replacement: { replaced: [{ role: 'api', logicalId: 'A', type: 'AWS::ApiGateway::RestApi', why: 'gone' }], endpointBefore: 'https://abcdefghij.execute-api.us-east-1.amazonaws.com/prod', stageWaits: false },
    });
    expect(rows).toEqual([
      { label: 'endpoint', value: 'https://abcdefghij.execute-api.us-east-1.amazonaws.com/prod -> a new URL, known once the new API exists' },
      { label: 'replaces', value: 'api A (gone)' },
      { label: 'interrupt', value: expect.stringMatching(/calls to the old URL fail/) },
      { label: 'instead', value: expect.stringMatching(/side by side.*destroy --stack-name BenchlingWebhookStack/) },
    ]);
  });

  it("a plan that replaces what serves is confirmed by the stack's name; one that replaces nothing by prod as before; --yes alone is refused naming --allow-replacement", () => {
    const api = { role: 'api' as const, logicalId: 'A', type: 'AWS::ApiGateway::RestApi', why: 'gone' };
    const plan = { environment: 'prod' as const, others: [], stackName: 'BenchlingWebhookStack', replacement: { replaced: [api], stageWaits: false } };
    expect(planConfirmationWord('deploy', plan)).toBe('BenchlingWebhookStack');
    expect(planConfirmationWord('deploy', { ...plan, replacement: { replaced: [], stageWaits: false } })).toBe('prod');
    expect(planConfirmationWord('deploy', { ...plan, environment: 'dev', replacement: undefined })).toBeNull();
    expect(replacementRefusal(plan).message).toMatch(/^--allow-replacement: this deploy replaces the api of stack BenchlingWebhookStack/);
  });
});
