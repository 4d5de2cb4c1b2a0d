import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { ENVIRONMENTS, type EnvironmentName } from '../config/schema.js';
import { rolloutAlarmName, rolloutAlarmNames } from '../config/names.js';
import { PropsCheck, pathOf } from './props-check.js';

export interface RolloutAlarmsProps {
  /** Whose alarms these are: part of each alarm's name. */
  readonly environment: EnvironmentName;
  /** The REST API's name (API Gateway's `ApiName` metric dimension). */
  readonly apiName: string;
  /** The environment's API stage (the `Stage` dimension). */
  readonly stageName: string;
  /** The environment's target group, on `loadBalancer`. */
  readonly targetGroup: elbv2.NetworkTargetGroup;
  /** The shared network load balancer the target group is on. */
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The environment's service: both alarms become its deployment alarms, with rollback (best given when it is made: {@link rolloutDeploymentAlarms}). */
  readonly service: ecs.FargateService;
  /**
   * Share of the stage's requests answered 5xx, per minute, above which the rollout rolls back.
   *
   * @default 0.05
   */
  readonly errorRate?: number;
}

/**
 * The deployment alarms of an environment's service, given when the service is made: the names of
 * its {@link RolloutAlarms}, rolling back on alarm. Given then, and not only by RolloutAlarms'
 * `enableDeploymentAlarms` after: a service made without any looks up whether its region has
 * deployment alarms, which loads aws-cdk-lib's table of every region's facts (2 MB of bytecode,
 * a fifth of synth). aws-cdk-lib keeps the names a service is made with (it adds none to them).
 */
export function rolloutDeploymentAlarms(stackName: string, environment: EnvironmentName): ecs.DeploymentAlarmConfig {
  return { alarmNames: rolloutAlarmNames(stackName, environment), behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM };
}

/**
 * The alarms that guard one environment's rollouts: its API stage's 5xx rate
 * and its target group's unhealthy targets, attached to its own ECS service
 * as deployment alarms with ROLLBACK_ON_ALARM, so a bad image rolls itself
 * back while no one watches. Named `<stack>-<env>-<kind>`
 * ({@link rolloutAlarmName}); no parameter enters them, so a deploy of the
 * other environment never changes them.
 */
export class RolloutAlarms extends Construct {
  /** `<stack>-<env>-5xx`: the stage's 5xx rate (AWS/ApiGateway 5XXError, its Average is the share of requests). */
  public readonly serverErrors: cloudwatch.Alarm;
  /** `<stack>-<env>-unhealthy-targets`: AWS/NetworkELB UnHealthyHostCount of the target group. */
  public readonly unhealthyTargets: cloudwatch.Alarm;
  /** Both names, in the order of ROLLOUT_ALARM_KINDS. */
  public readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: RolloutAlarmsProps) {
    const errorRate = props.errorRate ?? 0.05;
    const check = new PropsCheck(pathOf(scope, id));
    check.expect(ENVIRONMENTS.includes(props.environment), 'environment', `one of ${ENVIRONMENTS.join(', ')}`, props.environment);
    check.expect(typeof errorRate === 'number' && errorRate > 0 && errorRate < 1, 'errorRate', 'a share of requests between 0 and 1', errorRate);
    check.throwIfAny();
    super(scope, id);
    const { environment } = props;
    const stackName = Stack.of(this).stackName;
    // One-minute points; two bad minutes of three fire it. No data (no traffic,
    // no targets yet) is not a failure.
    const common = {
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };

    this.serverErrors = new cloudwatch.Alarm(this, 'ServerErrors', {
      ...common,
      alarmName: rolloutAlarmName(stackName, environment, '5xx'),
      alarmDescription: `${environment}: more than ${errorRate * 100}% of stage ${props.stageName}'s requests answered 5xx; rolls back its rollout`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName: '5XXError',
        dimensionsMap: { ApiName: props.apiName, Stage: props.stageName },
        statistic: cloudwatch.Stats.AVERAGE,
        period: Duration.minutes(1),
      }),
      threshold: errorRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    this.unhealthyTargets = new cloudwatch.Alarm(this, 'UnhealthyTargets', {
      ...common,
      alarmName: rolloutAlarmName(stackName, environment, 'unhealthy-targets'),
      alarmDescription: `${environment}: a target of its target group failed the load balancer's health check; rolls back its rollout`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/NetworkELB',
        metricName: 'UnHealthyHostCount',
        dimensionsMap: { TargetGroup: props.targetGroup.targetGroupFullName, LoadBalancer: props.loadBalancer.loadBalancerFullName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    // The literal names (not Refs): the template shows which alarms guard which service.
    this.alarmNames = rolloutAlarmNames(stackName, environment);
    // A service made with rolloutDeploymentAlarms (EnvironmentRuntime) names them already, and
    // aws-cdk-lib adds nothing to names a service was made with; one made without gets them here.
    // Either way, a service made to fail rather than roll back on alarm is refused.
    props.service.enableDeploymentAlarms([...this.alarmNames], { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
    // ECS checks that a deployment alarm exists when the service names it.
    props.service.node.addDependency(this);
    // Made with other alarms, the service keeps only those (aws-cdk-lib adds no names after): refused at synthesis, not left unguarded.
    this.node.addValidation({ validate: () => unguarded(props.service, this.alarmNames) });
  }
}

/** What is wrong when `service` would not roll back on each of `names`: one message, or none. */
function unguarded(service: ecs.FargateService, names: readonly string[]): string[] {
  const cfn = service.node.defaultChild as ecs.CfnService;
  const config = Stack.of(service).resolve(cfn.deploymentConfiguration) as { alarms?: { alarmNames?: unknown; enable?: unknown; rollback?: unknown } } | undefined;
  const alarms = config?.alarms;
  const named = Array.isArray(alarms?.alarmNames) ? alarms.alarmNames : [];
  const missing = names.filter((n) => !named.includes(n));
  if (alarms?.enable === true && alarms.rollback === true && missing.length === 0) return [];
  return [`${service.node.path} does not roll back on its rollout alarms${missing.length > 0 ? ` (it does not name ${missing.join(', ')})` : ''}: make it with deploymentAlarms: rolloutDeploymentAlarms(...)`];
}

