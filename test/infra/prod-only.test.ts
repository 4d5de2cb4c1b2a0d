import { PARAMETER_SUFFIXES } from '../../src/config/names.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStackProfiles } from '../../src/config/pairing.js';
import { UserError } from '../../src/errors.js';
import { devProfile } from '../helpers/fixtures.js';
import { buildStack, idsOfType, loadedProfile, stackProfiles, type BuiltStack } from './stack-helpers.js';

let built: BuiltStack;
let json: Record<string, any>;

beforeAll(() => {
  built = buildStack(stackProfiles({ dev: false }));
  json = built.json;
});

describe('a stack without a dev profile', () => {
  it('holds prod only: one service, task definition, target group, listener, stage and scaling target', () => {
    for (const type of [
      'AWS::ECS::Service',
      'AWS::ECS::TaskDefinition',
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'AWS::ElasticLoadBalancingV2::Listener',
      'AWS::ApiGateway::Stage',
      'AWS::ApplicationAutoScaling::ScalableTarget',
    ]) {
      built.template.resourceCountIs(type, 1);
    }
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod' });
    expect([...built.stack.environments.keys()]).toEqual(['prod']);
  });

  it('has no dev resource, parameter, condition or output', () => {
    expect(Object.keys(json.Resources).filter((id) => id.startsWith('Dev'))).toEqual([]);
    expect(Object.keys(json.Parameters).sort()).toEqual(PARAMETER_SUFFIXES.map((x) => `Prod${x}`).sort());
    expect(Object.keys(json.Conditions).sort()).toEqual(['ProdImageIsDigest', 'ProdRunsPackageEventConsumer', 'ProdRunsPackagingConsumer']);
    expect(Object.keys(json.Outputs).sort()).toEqual(['ApiId', 'ClusterName', 'ProdEndpoint', 'ProdLogGroupName', 'ProdServiceName', 'ProdTargetGroupArn']);
    expect(JSON.stringify(json)).not.toMatch(/"dev"|\/dev"|STAGE","Value":"dev/);
  });

  it('keeps the shared infrastructure and the prod resources exactly as with dev present', () => {
    const { json: both } = buildStack(stackProfiles());
    const notDev = (t: Record<string, any>) =>
      Object.fromEntries(Object.entries(t.Resources as Record<string, any>).filter(([id]) => !id.startsWith('Dev')));
    // Adding dev later must not replace or change anything prod runs on.
    expect(Object.keys(notDev(both)).sort()).toEqual(Object.keys(json.Resources).sort());
    for (const id of Object.keys(json.Resources)) expect(both.Resources[id], id).toEqual(json.Resources[id]);
  });

  it('has no resource policy when the profile has no allow-list', () => {
    const api = json.Resources[idsOfType(json, 'AWS::ApiGateway::RestApi')[0]].Properties;
    expect(api.Policy).toBeUndefined();
  });

  it('with only a dev profile, is refused: prod is required', () => {
    expect(() => resolveStackProfiles([loadedProfile(devProfile())])).toThrow(UserError);
    expect(() => resolveStackProfiles([loadedProfile(devProfile())])).toThrow(/no prod profile.*prod is required/);
  });
});
