/**
 * Alarm-guarded rollouts: each environment's stage 5xx rate and unhealthy
 * targets are CloudWatch alarms with fixed names, attached to its own ECS
 * service (and never the other's) as deployment alarms with rollback, and
 * no parameter enters them, so one environment's deploy never touches them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { ENVIRONMENTS, type EnvironmentName } from '../../src/config/schema.js';
import { rolloutAlarmNames } from '../../src/config/names.js';
import { RolloutAlarms, rolloutDeploymentAlarms } from '../../src/infra/rollout-alarms.js';
import { buildStack, envResource, idsOfType, stackProfiles, type BuiltStack } from './stack-helpers.js';

const STACK = 'BenchlingWebhookStack';
const OTHER: Record<EnvironmentName, EnvironmentName> = { dev: 'prod', prod: 'dev' };

let built: BuiltStack;
let json: Record<string, any>;
beforeAll(() => {
  built = buildStack(stackProfiles());
  json = built.json;
});

const alarms = () => idsOfType(json, 'AWS::CloudWatch::Alarm').map((id) => ({ id, ...json.Resources[id].Properties }));
const alarmNamed = (name: string) => alarms().find((a) => a.AlarmName === name);

describe.each(ENVIRONMENTS)('%s rollouts are guarded by its own alarms', (env) => {
  const [errors, unhealthy] = rolloutAlarmNames(STACK, env);

  it('names them after the stack and the environment', () => {
    expect([errors, unhealthy]).toEqual([`${STACK}-${env}-5xx`, `${STACK}-${env}-unhealthy-targets`]);
    expect(alarmNamed(errors)).toBeDefined();
    expect(alarmNamed(unhealthy)).toBeDefined();
  });

  it("alarms on the share of its own stage's requests answered 5xx", () => {
    expect(alarmNamed(errors)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      // REST APIs publish by ApiName (the stack's name here) and Stage.
      Dimensions: expect.arrayContaining([
        { Name: 'ApiName', Value: STACK },
        { Name: 'Stage', Value: env },
      ]),
      Statistic: 'Average',
      Period: 60,
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarmNamed(errors).Dimensions).toHaveLength(2);
  });

  it("alarms on unhealthy targets of its own target group on the network load balancer", () => {
    const loadBalancer = idsOfType(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
    expect(alarmNamed(unhealthy)).toMatchObject({
      Namespace: 'AWS/NetworkELB',
      MetricName: 'UnHealthyHostCount',
      Dimensions: expect.arrayContaining([
        { Name: 'TargetGroup', Value: { 'Fn::GetAtt': [envResource(json, env, 'AWS::ElasticLoadBalancingV2::TargetGroup'), 'TargetGroupFullName'] } },
        { Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [loadBalancer, 'LoadBalancerFullName'] } },
      ]),
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('attaches exactly its two alarms to its own service, rolling back on alarm, the circuit breaker kept', () => {
    const service = json.Resources[envResource(json, env, 'AWS::ECS::Service')];
    expect(service.Properties.DeploymentConfiguration).toMatchObject({
      Alarms: { AlarmNames: [errors, unhealthy], Enable: true, Rollback: true },
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
    // ECS refuses a deployment alarm that does not exist yet: the service waits for both.
    expect(service.DependsOn).toEqual(expect.arrayContaining([alarmNamed(errors).id, alarmNamed(unhealthy).id]));
  });

  it("never names or depends on the other environment's alarms", () => {
    const service = json.Resources[envResource(json, env, 'AWS::ECS::Service')];
    const others = rolloutAlarmNames(STACK, OTHER[env]);
    expect(JSON.stringify(service.Properties)).not.toMatch(new RegExp(others.join('|')));
    for (const name of others) expect(service.DependsOn).not.toContain(alarmNamed(name)!.id);
    // And the other environment's target group never enters its alarms.
    const otherGroup = envResource(json, OTHER[env], 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(JSON.stringify(alarmNamed(unhealthy))).not.toContain(otherGroup);
  });

  it('takes no parameter, so a deploy of either environment leaves them as they are', () => {
    for (const name of [errors, unhealthy]) expect(JSON.stringify(alarmNamed(name))).not.toMatch(/"Ref":"(Dev|Prod)[A-Za-z]+"/);
  });

  it('tags them Environment=<env>', () => {
    for (const name of [errors, unhealthy]) expect(alarmNamed(name)!.Tags).toEqual([{ Key: 'Environment', Value: env }]);
  });
});

describe('the stack holds exactly the rollout alarms', () => {
  it('two per environment, and with prod alone only prod\'s', () => {
    expect(alarms().map((a) => a.AlarmName).sort()).toEqual([...rolloutAlarmNames(STACK, 'dev'), ...rolloutAlarmNames(STACK, 'prod')].sort());
    const prodOnly = buildStack(stackProfiles({ dev: false })).json;
    const names = idsOfType(prodOnly, 'AWS::CloudWatch::Alarm').map((id) => prodOnly.Resources[id].Properties.AlarmName);
    expect(names.sort()).toEqual(rolloutAlarmNames(STACK, 'prod').sort());
  });

  it('follows the stack name', () => {
    const renamed = buildStack(stackProfiles({ prod: { stackName: 'AcmeWebhook' } })).json;
    const names = idsOfType(renamed, 'AWS::CloudWatch::Alarm').map((id) => renamed.Resources[id].Properties.AlarmName);
    expect(names).toContain('AcmeWebhook-prod-5xx');
    expect(names).toContain('AcmeWebhook-dev-unhealthy-targets');
  });
});

/** A stack of its own with what RolloutAlarms needs: a load balancer, a target group, and a service made with `deploymentAlarms` or without. */
function scaffold(deploymentAlarms?: ecs.DeploymentAlarmConfig) {
  const app = new App();
  const stack = new Stack(app, 'S');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
  const loadBalancer = new elbv2.NetworkLoadBalancer(stack, 'Lb', { vpc });
  const targetGroup = new elbv2.NetworkTargetGroup(stack, 'Tg', { vpc, port: 5000 });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Td');
  taskDefinition.addContainer('C', { image: ecs.ContainerImage.fromRegistry('x') });
  const service = new ecs.FargateService(stack, 'Svc', { cluster: new ecs.Cluster(stack, 'C', { vpc }), taskDefinition, ...(deploymentAlarms ? { deploymentAlarms } : {}) });
  return { stack, props: { environment: 'dev' as EnvironmentName, apiName: 'S', stageName: 'dev', targetGroup, loadBalancer, service } };
}

describe('RolloutAlarms and its service', () => {
  const alarmsOf = (stack: Stack) => {
    const services = Template.fromStack(stack).findResources('AWS::ECS::Service');
    return Object.values(services).map((r) => (r as { Properties: { DeploymentConfiguration: { Alarms?: unknown } } }).Properties.DeploymentConfiguration.Alarms);
  };

  it('a service made without deployment alarms gets its two, rolling back; one made with them (rolloutDeploymentAlarms) keeps the same', () => {
    const expected = [{ AlarmNames: rolloutAlarmNames('S', 'dev'), Enable: true, Rollback: true }];
    const bare = scaffold();
    new RolloutAlarms(bare.stack, 'Alarms', bare.props);
    expect(alarmsOf(bare.stack)).toEqual(expected);
    const made = scaffold(rolloutDeploymentAlarms('S', 'dev'));
    new RolloutAlarms(made.stack, 'Alarms', made.props);
    expect(alarmsOf(made.stack)).toEqual(expected);
  });

  it('a service made with other deployment alarms is refused at synthesis, naming the service and the alarms it lacks', () => {
    const other = scaffold({ alarmNames: ['other'], behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
    new RolloutAlarms(other.stack, 'Alarms', other.props);
    expect(() => Template.fromStack(other.stack)).toThrow(/S\/Svc does not roll back on its rollout alarms \(it does not name S-dev-5xx, S-dev-unhealthy-targets\)/);
  });

  it('a service made to fail rather than roll back on alarm is refused', () => {
    const failing = scaffold({ alarmNames: ['other'], behavior: ecs.AlarmBehavior.FAIL_ON_ALARM });
    expect(() => new RolloutAlarms(failing.stack, 'Alarms', failing.props)).toThrow(/same AlarmBehavior/);
  });
});

describe('RolloutAlarms props', () => {
  it('refuses an error rate outside 0..1 and an unknown environment, naming each', () => {
    const { stack, props } = scaffold();
    expect(() => new RolloutAlarms(stack, 'Bad', { ...props, errorRate: 5 })).toThrow(/S\/Bad: errorRate: expected a share of requests between 0 and 1, got 5/);
    expect(() => new RolloutAlarms(stack, 'Bad', { ...props, environment: 'staging' as EnvironmentName })).toThrow(/S\/Bad: environment: expected one of/);
    expect(stack.node.tryFindChild('Bad')).toBeUndefined();
  });
});
