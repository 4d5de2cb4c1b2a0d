import { beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_VARIABLES, TASK_PERMISSIONS, variablesRead, permissionsUsed } from '../../src/infra/container-contract.js';
import { Match } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS, type EnvironmentName } from '../../src/config/schema.js';
import { LISTENER_PORTS } from '../../src/config/names.js';
import { QUILT_ARN, QUILT_ARN_DEV, SECRET } from '../helpers/fixtures.js';
import {
  TITLE,
  asArray,
  buildStack,
  envResource,
  evaluate,
  idsOfType,
  parameterDefaults,
  policiesOfRole,
  referredIds,
  statementsOfRole,
  stackProfiles,
  type BuiltStack,
} from './stack-helpers.js';

const REPO = '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling';
const DEV_REPO = '123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/benchling-dev';
const QUILT: Record<EnvironmentName, string> = { prod: QUILT_ARN, dev: QUILT_ARN_DEV };
const SECRET_NAME: Record<EnvironmentName, string> = {
  prod: 'quiltdata/benchling-webhook/default/acme',
  dev: 'quiltdata/benchling-webhook/dev/acme-dev',
};
const OTHER: Record<EnvironmentName, EnvironmentName> = { dev: 'prod', prod: 'dev' };
const REPO_ARN: Record<EnvironmentName, string> = {
  prod: 'arn:aws:ecr:us-east-1:712023778557:repository/quiltdata/benchling',
  dev: 'arn:aws:ecr:us-west-2:123456789012:repository/acme/benchling-dev',
};
/** Every parameter of one environment: what a deploy of it passes. */
const OWN_PARAMETERS = ['ImageTag', 'SecretName', 'MinCapacity', 'MaxCapacity', 'Cpu', 'Memory', 'LogLevel', 'QuiltStackArn', 'ImageAccount', 'ImageRegion', 'ImageRepositoryName', 'WebhookVerification', 'PackageBucket', 'QuiltWebHost', 'PackagerQueueUrl', 'AthenaDatabase', 'AthenaWorkgroup', 'Consumers'];

let built: BuiltStack;
let json: Record<string, any>;
/** The template's parameters at their defaults: the profiles' values. */
let defaults: Record<string, string>;

beforeAll(() => {
  built = buildStack(
    stackProfiles({
      prod: { webhookAllowList: '203.0.113.0/24, 198.51.100.7/32', benchlingClientSecret: SECRET },
      dev: { logLevel: 'DEBUG', webhookVerification: false, imageRepository: DEV_REPO, benchlingClientSecret: SECRET, minCapacity: 0, maxCapacity: 3 },
    }),
  );
  json = built.json;
  defaults = parameterDefaults(json);
});

describe('shared infrastructure', () => {
  it('has one VPC over two availability zones taken from Fn::GetAZs, with no literal zone', () => {
    built.template.resourceCountIs('AWS::EC2::VPC', 1);
    built.template.resourceCountIs('AWS::EC2::Subnet', 4);
    // One NAT gateway unless the prod profile asks for two (the README's cost section).
    built.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const zones = idsOfType(json, 'AWS::EC2::Subnet').map((id) => json.Resources[id].Properties.AvailabilityZone);
    for (const zone of zones) expect(zone).toEqual({ 'Fn::Select': [expect.any(Number), { 'Fn::GetAZs': '' }] });
    expect(new Set(zones.map((z) => z['Fn::Select'][0]))).toEqual(new Set([0, 1]));
    expect(JSON.stringify(json)).not.toMatch(/"[a-z]{2}-[a-z]+-\d[a-z]"/);
  });

  it("has as many NAT gateways as the prod profile's natGateways, one per zone at most", () => {
    buildStack(stackProfiles({ prod: { natGateways: 2 } })).template.resourceCountIs('AWS::EC2::NatGateway', 2);
    buildStack(stackProfiles({ prod: { natGateways: 1 } })).template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('is environment-agnostic: no region or account of the profiles is baked into the stack itself', () => {
    expect(built.stack.region).toMatch(/^\$\{Token/);
    expect(built.stack.account).toMatch(/^\$\{Token/);
  });

  it('has one ECS cluster with Container Insights', () => {
    built.template.resourceCountIs('AWS::ECS::Cluster', 1);
    built.template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: Match.stringLikeRegexp('enabled|enhanced') }] });
  });

  it('has one load balancer, internal, network type, in the private subnets, cross-zone', () => {
    built.template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    const id = idsOfType(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
    const lb = json.Resources[id].Properties;
    expect(lb).toMatchObject({ Scheme: 'internal', Type: 'network' });
    expect(new Set(lb.Subnets.map((s: any) => s.Ref))).toEqual(new Set(privateSubnetIds()));
    expect(lb.LoadBalancerAttributes).toContainEqual({ Key: 'load_balancing.cross_zone.enabled', Value: 'true' });
  });

  it('has one regional REST API reaching the load balancer through a VPC link', () => {
    built.template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    built.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    built.template.resourceCountIs('AWS::ApiGateway::VpcLink', 1);
    const lbId = idsOfType(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
    built.template.hasResourceProperties('AWS::ApiGateway::VpcLink', { TargetArns: [{ Ref: lbId }] });
    const linkId = idsOfType(json, 'AWS::ApiGateway::VpcLink')[0];
    const methods = idsOfType(json, 'AWS::ApiGateway::Method').map((id) => json.Resources[id].Properties);
    expect(methods).toHaveLength(2);
    for (const m of methods) {
      expect(m.Integration).toMatchObject({ Type: 'HTTP_PROXY', ConnectionType: 'VPC_LINK', ConnectionId: { Ref: linkId } });
      // The host and port come from the stage: the stage decides which listener a request reaches.
      expect(m.Integration.Uri).toMatch(/^http:\/\/\$\{stageVariables\.backend\}\//);
    }
  });

  it('deploys the API once, after its methods, and every stage uses that deployment', () => {
    built.template.resourceCountIs('AWS::ApiGateway::Deployment', 1);
    const deploymentId = idsOfType(json, 'AWS::ApiGateway::Deployment')[0];
    expect(new Set(json.Resources[deploymentId].DependsOn)).toEqual(new Set(idsOfType(json, 'AWS::ApiGateway::Method')));
    for (const id of idsOfType(json, 'AWS::ApiGateway::Stage')) expect(json.Resources[id].Properties.DeploymentId).toEqual({ Ref: deploymentId });
  });

  it('lets API Gateway write logs before any stage logs, and keeps that account-wide setting when the stack goes', () => {
    built.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const accountId = idsOfType(json, 'AWS::ApiGateway::Account')[0];
    for (const id of idsOfType(json, 'AWS::ApiGateway::Stage')) expect(json.Resources[id].DependsOn).toContain(accountId);
    const roleId = json.Resources[accountId].Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(json.Resources[accountId].DeletionPolicy).toBe('Retain');
    expect(json.Resources[roleId].DeletionPolicy).toBe('Retain');
  });

  it('has the shared outputs ApiId and ClusterName, and exactly the documented outputs', () => {
    expect(json.Outputs.ApiId.Value).toEqual({ Ref: idsOfType(json, 'AWS::ApiGateway::RestApi')[0] });
    expect(json.Outputs.ClusterName.Value).toEqual({ Ref: idsOfType(json, 'AWS::ECS::Cluster')[0] });
    const perEnv = ['Endpoint', 'ServiceName', 'TargetGroupArn', 'LogGroupName'];
    expect(Object.keys(json.Outputs).sort()).toEqual(['ApiId', 'ClusterName', ...perEnv.map((s) => `Dev${s}`), ...perEnv.map((s) => `Prod${s}`)].sort());
  });

  it('carries no Environment tag on shared resources', () => {
    for (const [id, r] of Object.entries(json.Resources as Record<string, any>)) {
      if (!id.startsWith('Shared')) continue;
      expect((r.Properties?.Tags ?? []).filter((t: any) => t.Key === 'Environment'), id).toEqual([]);
    }
  });

  it('never carries the client secret', () => {
    expect(JSON.stringify(json)).not.toContain(SECRET);
  });
});

describe('reachability: nothing on the internet reaches a task except through the API', () => {
  it('runs every task in private subnets without a public address', () => {
    for (const id of idsOfType(json, 'AWS::ECS::Service')) {
      const net = json.Resources[id].Properties.NetworkConfiguration.AwsvpcConfiguration;
      expect(net.AssignPublicIp).toBe('DISABLED');
      expect(new Set(net.Subnets.map((s: any) => s.Ref))).toEqual(new Set(privateSubnetIds()));
    }
  });

  it('admits port 5000 only from inside the VPC, and nothing from anywhere', () => {
    const vpc = json.Resources[idsOfType(json, 'AWS::EC2::VPC')[0]].Properties.CidrBlock;
    const groups = idsOfType(json, 'AWS::EC2::SecurityGroup');
    expect(groups).toHaveLength(2);
    for (const id of groups) {
      expect(json.Resources[id].Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: vpc, FromPort: 5000, ToPort: 5000, IpProtocol: 'tcp' })]);
    }
    built.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('has no internet-facing load balancer and no other API', () => {
    built.template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' }, 0);
    built.template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });
});

describe('isolation: a stage reaches only its own environment', () => {
  it.each(ENVIRONMENTS)('stage %s -> its listener port -> its target group -> its service, whose tasks run in that environment', (env) => {
    const stage = json.Resources[envResource(json, env, 'AWS::ApiGateway::Stage')].Properties;
    expect(stage.StageName).toBe(env);
    const lbId = idsOfType(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
    expect(stage.Variables.backend).toEqual({ 'Fn::Join': [':', [{ 'Fn::GetAtt': [lbId, 'DNSName'] }, String(LISTENER_PORTS[env])]] });

    const port = Number(stage.Variables.backend['Fn::Join'][1][1]);
    const listeners = idsOfType(json, 'AWS::ElasticLoadBalancingV2::Listener').filter((id) => json.Resources[id].Properties.Port === port);
    expect(listeners).toHaveLength(1);
    const listener = json.Resources[listeners[0]].Properties;
    expect(listener.LoadBalancerArn).toEqual({ Ref: lbId });
    expect(listener.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: envResource(json, env, 'AWS::ElasticLoadBalancingV2::TargetGroup') } }]);

    const targetGroup = listener.DefaultActions[0].TargetGroupArn.Ref;
    const services = idsOfType(json, 'AWS::ECS::Service').filter((id) =>
      json.Resources[id].Properties.LoadBalancers.some((lb: any) => lb.TargetGroupArn.Ref === targetGroup),
    );
    expect(services).toEqual([envResource(json, env, 'AWS::ECS::Service')]);
    const taskDef = json.Resources[json.Resources[services[0]].Properties.TaskDefinition.Ref].Properties;
    expect(taskDef.ContainerDefinitions[0].Environment).toContainEqual({ Name: 'STAGE', Value: env });
  });

  it('gives each environment a different listener port', () => {
    const ports = idsOfType(json, 'AWS::ElasticLoadBalancingV2::Listener').map((id) => json.Resources[id].Properties.Port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(5000);
  });
});

describe.each(ENVIRONMENTS)('environment %s', (env) => {
  const T = TITLE[env];

  it('has its own Fargate service with a deployment circuit breaker that rolls back', () => {
    const service = json.Resources[envResource(json, env, 'AWS::ECS::Service')].Properties;
    expect(service).toMatchObject({
      LaunchType: 'FARGATE',
      Cluster: { Ref: idsOfType(json, 'AWS::ECS::Cluster')[0] },
      DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      LoadBalancers: [{ ContainerName: 'Webhook', ContainerPort: 5000, TargetGroupArn: { Ref: envResource(json, env, 'AWS::ElasticLoadBalancingV2::TargetGroup') } }],
    });
    // No DesiredCount: autoscaling owns it, and a deploy does not reset it.
    expect(service.DesiredCount).toBeUndefined();
  });

  it('runs the webhook container per its contract: port 5000, GET /health, every variable a supported image reads', () => {
    const taskDef = json.Resources[envResource(json, env, 'AWS::ECS::TaskDefinition')].Properties;
    expect(taskDef).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc' });
    const c = taskDef.ContainerDefinitions[0];
    expect(c.Name).toBe('Webhook');
    expect(c.User).toBe('1000');
    // The task's size and the container's memory come from the environment's parameters.
    expect(taskDef).toMatchObject({ Cpu: { Ref: `${T}Cpu` }, Memory: { Ref: `${T}Memory` } });
    expect(c.Memory).toEqual({ Ref: `${T}Memory` });
    expect(c.PortMappings).toEqual([{ ContainerPort: 5000, Protocol: 'tcp' }]);
    expect(c.HealthCheck.Command).toEqual(['CMD-SHELL', 'curl -f http://localhost:5000/health || exit 1']);
    const vars = Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value]));
    for (const v of CONTAINER_VARIABLES) expect(vars[v.name], v.name).toBeDefined();
    expect(vars).toMatchObject({
      QuiltStackARN: { Ref: `${T}QuiltStackArn` },
      BenchlingSecret: { Ref: `${T}SecretName` },
      STAGE: env,
      PORT: '5000',
      LOG_LEVEL: { Ref: `${T}LogLevel` },
      ENABLE_WEBHOOK_VERIFICATION: { Ref: `${T}WebhookVerification` },
      AWS_REGION: { Ref: 'AWS::Region' },
      QUILT_WEB_HOST: { Ref: `${T}QuiltWebHost` },
      ATHENA_USER_DATABASE: { Ref: `${T}AthenaDatabase` },
      ATHENA_USER_WORKGROUP: { Ref: `${T}AthenaWorkgroup` },
      PACKAGER_SQS_URL: { Ref: `${T}PackagerQueueUrl` },
      PACKAGING_REQUEST_QUEUE_URL: { Ref: envResource(json, env, 'AWS::SQS::Queue', 'PackagingRequestQueue') },
      PACKAGE_EVENT_QUEUE_URL: { Ref: envResource(json, env, 'AWS::SQS::Queue', 'PackageEventQueue') },
    });
    // At the parameters' defaults, the container gets the profile's values.
    expect(evaluate(vars.QuiltStackARN, defaults)).toBe(QUILT[env]);
    expect(evaluate(vars.BenchlingSecret, defaults)).toBe(SECRET_NAME[env]);
    expect(evaluate(vars.ENABLE_WEBHOOK_VERIFICATION, defaults)).toBe(env === 'dev' ? 'false' : 'true');
    expect(c.Secrets).toBeUndefined();
    expect(c.LogConfiguration).toMatchObject({ LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: envResource(json, env, 'AWS::Logs::LogGroup', 'Logs') } } });
    // The consumers of images from 0.17, each present only when <Env>Consumers names it.
    expect(taskDef.ContainerDefinitions.slice(1)).toEqual([
      { 'Fn::If': [`${T}RunsPackageEventConsumer`, expect.objectContaining({ Name: 'PackageEventConsumer', Command: ['python', '-m', 'src.sqs_consumer'], Essential: true, User: '1000' }), { Ref: 'AWS::NoValue' }] },
      { 'Fn::If': [`${T}RunsPackagingConsumer`, expect.objectContaining({ Name: 'PackagingConsumer', Command: ['python', '-m', 'src.packaging_consumer'], Essential: true, User: '1000' }), { Ref: 'AWS::NoValue' }] },
    ]);
    expect(taskDef.TaskRoleArn).toEqual({ 'Fn::GetAtt': [envResource(json, env, 'AWS::IAM::Role', 'TaskRole'), 'Arn'] });
    expect(taskDef.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [envResource(json, env, 'AWS::IAM::Role', 'ExecutionRole'), 'Arn'] });
  });

  it("pulls the profile's repository at the environment's tag, or by digest when the tag is sha256:...", () => {
    const repo = env === 'dev' ? DEV_REPO : REPO;
    const image = json.Resources[envResource(json, env, 'AWS::ECS::TaskDefinition')].Properties.ContainerDefinitions[0].Image;
    expect(image).toEqual({
      'Fn::Join': [
        '',
        [
          { 'Fn::Sub': `\${${T}ImageAccount}.dkr.ecr.\${${T}ImageRegion}.\${AWS::URLSuffix}/\${${T}ImageRepositoryName}` },
          { 'Fn::If': [`${T}ImageIsDigest`, '@', ':'] },
          { Ref: `${T}ImageTag` },
        ],
      ],
    });
    const condition = json.Conditions[`${T}ImageIsDigest`];
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(evaluate(condition, { [`${T}ImageTag`]: digest })).toBe(true);
    expect(evaluate(condition, { [`${T}ImageTag`]: '0.7.0' })).toBe(false);
    expect(evaluate(condition, { [`${T}ImageTag`]: 'latest' })).toBe(false);
    expect(evaluate(image, { ...defaults, [`${T}ImageTag`]: digest }, json.Conditions)).toBe(`${repo}@${digest}`);
    expect(evaluate(image, { ...defaults, [`${T}ImageTag`]: '0.7.1' }, json.Conditions)).toBe(`${repo}:0.7.1`);
    expect(evaluate(image, defaults, json.Conditions)).toBe(`${repo}:${env === 'dev' ? 'latest' : '0.7.0'}`);
    // In the China partition the registry's domain is amazonaws.com.cn.
    const cn = { ...defaults, [`${T}ImageRegion`]: 'cn-north-1', 'AWS::URLSuffix': 'amazonaws.com.cn', [`${T}ImageTag`]: '0.7.1' };
    expect(evaluate(image, cn, json.Conditions)).toBe(`${repo.replace(/\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com/, '.cn-north-1.amazonaws.com.cn')}:0.7.1`);
  });

  it('has its own target group: IP targets on port 5000, HTTP health check on /health', () => {
    const tg = json.Resources[envResource(json, env, 'AWS::ElasticLoadBalancingV2::TargetGroup')].Properties;
    expect(tg).toMatchObject({ Port: 5000, Protocol: 'TCP', TargetType: 'ip', HealthCheckProtocol: 'HTTP', HealthCheckPath: '/health' });
  });

  it('has its own log groups, with a retention', () => {
    for (const name of ['Logs', 'AccessLogs']) {
      expect(json.Resources[envResource(json, env, 'AWS::Logs::LogGroup', name)].Properties.RetentionInDays).toBe(365);
    }
  });

  it('has its own API stage, named after the environment, with access logging', () => {
    const stage = json.Resources[envResource(json, env, 'AWS::ApiGateway::Stage')].Properties;
    expect(stage.StageName).toBe(env);
    expect(stage.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [envResource(json, env, 'AWS::Logs::LogGroup', 'AccessLogs'), 'Arn'] });
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', status: '$context.status' });
    expect(stage.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR', HttpMethod: '*', ResourcePath: '/*' })]);
  });

  it('scales on CPU within <Env>MinCapacity..<Env>MaxCapacity', () => {
    const targetId = envResource(json, env, 'AWS::ApplicationAutoScaling::ScalableTarget');
    const target = json.Resources[targetId].Properties;
    expect(target).toMatchObject({ MinCapacity: { Ref: `${T}MinCapacity` }, MaxCapacity: { Ref: `${T}MaxCapacity` }, ScalableDimension: 'ecs:service:DesiredCount' });
    expect(JSON.stringify(target.ResourceId)).toContain(envResource(json, env, 'AWS::ECS::Service'));
    const policy = json.Resources[envResource(json, env, 'AWS::ApplicationAutoScaling::ScalingPolicy')].Properties;
    expect(policy).toMatchObject({
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: targetId },
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 70 },
    });
  });

  it("takes its values as parameters <Env>ImageTag, SecretName, MinCapacity, MaxCapacity, LogLevel, defaulting to the profile's", () => {
    const defaults =
      env === 'prod'
        ? { ImageTag: '0.7.0', SecretName: SECRET_NAME.prod, MinCapacity: 2, MaxCapacity: 10, LogLevel: 'INFO' }
        : { ImageTag: 'latest', SecretName: SECRET_NAME.dev, MinCapacity: 0, MaxCapacity: 3, LogLevel: 'DEBUG' };
    for (const [suffix, value] of Object.entries(defaults)) {
      expect(json.Parameters[`${T}${suffix}`], `${T}${suffix}`).toMatchObject({ Default: value, Type: typeof value === 'number' ? 'Number' : 'String' });
    }
    expect(json.Parameters[`${T}LogLevel`].AllowedValues).toEqual(['DEBUG', 'INFO', 'WARNING', 'ERROR']);
    const tagPattern = new RegExp(json.Parameters[`${T}ImageTag`].AllowedPattern);
    expect(tagPattern.test(`sha256:${'0'.repeat(64)}`)).toBe(true);
    expect(tagPattern.test('0.7.0')).toBe(true);
    expect(tagPattern.test('bad tag')).toBe(false);
  });

  it("takes its Quilt stack, image repository and verification switch as parameters too, defaulting to the profile's", () => {
    const values =
      env === 'prod'
        ? { QuiltStackArn: QUILT.prod, ImageAccount: '712023778557', ImageRegion: 'us-east-1', ImageRepositoryName: 'quiltdata/benchling', WebhookVerification: 'true' }
        : { QuiltStackArn: QUILT.dev, ImageAccount: '123456789012', ImageRegion: 'us-west-2', ImageRepositoryName: 'acme/benchling-dev', WebhookVerification: 'false' };
    for (const [suffix, value] of Object.entries(values)) {
      expect(json.Parameters[`${T}${suffix}`], `${T}${suffix}`).toMatchObject({ Default: value, Type: 'String' });
      expect(new RegExp(json.Parameters[`${T}${suffix}`].AllowedPattern ?? '.*').test(value), `${T}${suffix}`).toBe(true);
    }
    expect(json.Parameters[`${T}WebhookVerification`].AllowedValues).toEqual(['true', 'false']);
    // Exactly these parameters belong to the environment.
    expect(Object.keys(json.Parameters).filter((k) => k.startsWith(T)).sort()).toEqual(OWN_PARAMETERS.map((s) => `${T}${s}`).sort());
  });

  it('admits no wildcard through its parameters: a Quilt stack ARN names one stack, the image parts one repository', () => {
    const accepts = (suffix: string, value: string) => new RegExp(json.Parameters[`${T}${suffix}`].AllowedPattern).test(value);
    for (const arn of [QUILT.prod, QUILT.dev, 'arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/Q/abc-1', 'arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/Q/abc']) {
      expect(accepts('QuiltStackArn', arn), arn).toBe(true);
    }
    for (const arn of [
      '*',
      'arn:aws:cloudformation:us-east-1:123456789012:stack/*',
      'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/*',
      'arn:aws:cloudformation:us-east-1:123456789012:stack/Quilt?tack/1',
      'arn:aws:cloudformation:*:123456789012:stack/QuiltStack/1',
      'arn:aws:cloudformation:us-east-1:*:stack/QuiltStack/1',
      'arn:aws:s3:::bucket',
      `${QUILT[env]} `,
    ]) {
      expect(accepts('QuiltStackArn', arn), arn).toBe(false);
    }
    for (const name of ['quiltdata/benchling', 'a', 'acme/team.app_x/web-hook']) expect(accepts('ImageRepositoryName', name), name).toBe(true);
    for (const name of ['*', 'quiltdata/*', 'quilt?ata/benchling', 'Quiltdata/benchling', '/benchling', 'a//b', 'a/', '']) expect(accepts('ImageRepositoryName', name), name).toBe(false);
    for (const account of ['*', '12345678901', '1234567890123', '12345678901*']) expect(accepts('ImageAccount', account), account).toBe(false);
    for (const region of ['*', 'us-east-*', 'us-east-1:123', 'US-EAST-1']) expect(accepts('ImageRegion', region), region).toBe(false);
    expect(accepts('ImageRegion', 'cn-north-1')).toBe(true);
    // The secret's name goes into the task role's resource ARN: a wildcard there would read other secrets.
    for (const name of [SECRET_NAME[env], 'quiltdata/benchling-webhook/default/acme', 'a', 'a+b=c.d@e_f-g/h', 'x'.repeat(512)]) expect(accepts('SecretName', name), name).toBe(true);
    for (const name of ['*', '?', 'quiltdata/*', 'quiltdata/benchling-webhook/default/acme*', 'quiltdata/benchling-webhook/default/ac?e', `${SECRET_NAME[env]}?`, 'a b', '', 'x'.repeat(513)]) {
      expect(accepts('SecretName', name), name).toBe(false);
    }
  });

  it('has its outputs <Env>Endpoint, ServiceName, TargetGroupArn, LogGroupName', () => {
    const apiId = idsOfType(json, 'AWS::ApiGateway::RestApi')[0];
    expect(json.Outputs[`${T}Endpoint`].Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/${env}`]],
    });
    expect(json.Outputs[`${T}ServiceName`].Value).toEqual({ 'Fn::GetAtt': [envResource(json, env, 'AWS::ECS::Service'), 'Name'] });
    expect(json.Outputs[`${T}TargetGroupArn`].Value).toEqual({ Ref: envResource(json, env, 'AWS::ElasticLoadBalancingV2::TargetGroup') });
    expect(json.Outputs[`${T}LogGroupName`].Value).toEqual({ Ref: envResource(json, env, 'AWS::Logs::LogGroup', 'Logs') });
  });

  it('tags every one of its resources that takes tags with Environment=<env>', () => {
    const untaggable = new Set(['AWS::IAM::Policy', 'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::SQS::QueuePolicy', 'AWS::Events::Rule']);
    const own = Object.entries(json.Resources as Record<string, any>).filter(([id]) => id.startsWith(T));
    expect(own.length).toBeGreaterThan(10);
    for (const [id, r] of own) {
      if (untaggable.has(r.Type)) continue;
      expect(r.Properties.Tags, `${id} (${r.Type})`).toContainEqual({ Key: 'Environment', Value: env });
    }
    expect(json.Resources[envResource(json, env, 'AWS::ECS::Service')].Properties.PropagateTags).toBe('SERVICE');
  });
});

describe('least privilege', () => {
  /** Every logical id a value names (Ref, Fn::GetAtt, Fn::Sub), pseudo parameters left out. */
  const namesIn = (expr: any): string[] => {
    if (Array.isArray(expr)) return expr.flatMap(namesIn);
    if (!expr || typeof expr !== 'object') return [];
    if ('Ref' in expr) return String(expr.Ref).startsWith('AWS::') ? [] : [expr.Ref];
    if ('Fn::GetAtt' in expr) return [expr['Fn::GetAtt'][0]];
    if ('Fn::Sub' in expr) {
      const [body, vars] = typeof expr['Fn::Sub'] === 'string' ? [expr['Fn::Sub'], {}] : expr['Fn::Sub'];
      const inBody = [...(body as string).matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]).filter((n) => !n.startsWith('AWS::') && !(n in vars));
      return [...inBody, ...Object.values(vars).flatMap(namesIn)];
    }
    return Object.values(expr).flatMap(namesIn);
  };

  // Every release from 0.7 to the latest that the stack serves (0.9.1-0.9.6 are refused by the pre-flight).
  const RELEASES = ['0.7.2', '0.7.10', '0.8.2', '0.8.8', '0.8.9', '0.8.10', '0.9.0', '0.9.7', '0.9.9', '0.10.0', '0.11.0', '0.12.0', '0.13.0', '0.14.0', '0.15.0', '0.16.0', '0.17.0', '0.17.2', '0.18.0'];
  describe.each(ENVIRONMENTS)('the %s environment, per image release', (env) => {
    const T = TITLE[env];
    it.each(RELEASES)('gives %s every variable it reads and every permission it uses, on its own resources only', (release) => {
      const container = json.Resources[envResource(json, env, 'AWS::ECS::TaskDefinition')].Properties.ContainerDefinitions[0];
      const vars = Object.fromEntries(container.Environment.map((e: any) => [e.Name, e.Value]));
      for (const v of variablesRead(release)) {
        expect(vars[v.name], `${release} reads ${v.name}`).toBeDefined();
        for (const id of namesIn(vars[v.name])) expect(id.startsWith(T), `${v.name} of ${env} names ${id}`).toBe(true);
      }
      const statements = statementsOfRole(json, envResource(json, env, 'AWS::IAM::Role', 'TaskRole'));
      for (const p of permissionsUsed(release)) {
        const granting = statements.filter((s) => p.actions.every((a) => asArray(s.Action).includes(a)));
        expect(granting.length, `${release} calls ${p.actions.join(', ')} on its ${p.on}`).toBeGreaterThan(0);
        for (const s of granting) {
          expect(s.Effect).toBe('Allow');
          expect(JSON.stringify(s.Resource)).not.toContain('"*"');
          for (const id of namesIn(s.Resource)) expect(id.startsWith(T), `${p.on} of ${env} names ${id}`).toBe(true);
        }
      }
    });
  });

  it.each(ENVIRONMENTS)('the %s task role grants exactly the contract, each statement on resources of its own', (env) => {
    const T = TITLE[env];
    const role = envResource(json, env, 'AWS::IAM::Role', 'TaskRole');
    expect(json.Resources[role].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' } }),
    ]);
    const statements = statementsOfRole(json, role);
    expect(statements.flatMap((s) => asArray(s.Action)).sort()).toEqual(TASK_PERMISSIONS.flatMap((p) => p.actions).sort());
    // At the defaults: this environment's secret, Quilt stack and bucket.
    const secret = statements.find((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue'))!;
    expect(evaluate(secret.Resource, defaults)).toMatch(new RegExp(`:secret:${SECRET_NAME[env]}-\\?{6}$`));
    const stack = statements.find((s) => asArray(s.Action).includes('cloudformation:DescribeStacks'))!;
    expect(evaluate(stack.Resource, defaults)).toBe(QUILT[env]);
    const queue = statements.find((s) => asArray(s.Action).length === 1 && asArray(s.Action)[0] === 'sqs:SendMessage')!;
    expect(evaluate(queue.Resource, { ...defaults, [`${T}PackagerQueueUrl`]: 'https://sqs.eu-west-1.amazonaws.com/210987654321/Quilt-PackagerQueue-X1' })).toBe('arn:aws:sqs:eu-west-1:210987654321:Quilt-PackagerQueue-X1');
  });

  it.each(ENVIRONMENTS)('the %s execution role pulls from its repository and writes its own log group, and reads no secret', (env) => {
    const role = envResource(json, env, 'AWS::IAM::Role', 'ExecutionRole');
    const statements = statementsOfRole(json, role);
    const actions = statements.flatMap((s) => asArray(s.Action));
    expect(actions.filter((a: string) => a.startsWith('secretsmanager:'))).toEqual([]);
    const logs = statements.find((s) => asArray(s.Action).includes('logs:PutLogEvents'))!;
    expect(logs.Resource).toEqual({ 'Fn::GetAtt': [envResource(json, env, 'AWS::Logs::LogGroup', 'Logs'), 'Arn'] });
    const pull = statements.find((s) => asArray(s.Action).includes('ecr:BatchGetImage'))!;
    const T = TITLE[env];
    expect(pull.Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:ecr:\${${T}ImageRegion}:\${${T}ImageAccount}:repository/\${${T}ImageRepositoryName}` });
    expect(evaluate(pull.Resource, defaults)).toBe(REPO_ARN[env]);
    // The image it pulls is in that repository, whatever the parameters say.
    const image = json.Resources[envResource(json, env, 'AWS::ECS::TaskDefinition')].Properties.ContainerDefinitions[0].Image;
    const other = { ...defaults, [`${T}ImageAccount`]: '999999999999', [`${T}ImageRegion`]: 'eu-west-1', [`${T}ImageRepositoryName`]: 'x/y', [`${T}ImageTag`]: '1.0' };
    expect(evaluate(pull.Resource, other)).toBe('arn:aws:ecr:eu-west-1:999999999999:repository/x/y');
    expect(evaluate(image, other, json.Conditions)).toBe('999999999999.dkr.ecr.eu-west-1.amazonaws.com/x/y:1.0');
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard.flatMap((s) => asArray(s.Action))).toEqual(['ecr:GetAuthorizationToken']);
  });

  it.each(ENVIRONMENTS)("the %s roles mention nothing of the other environment's secret, Quilt stack or logs", (env) => {
    const other = OTHER[env];
    const O = TITLE[other];
    for (const name of ['TaskRole', 'ExecutionRole']) {
      const text = JSON.stringify(policiesOfRole(json, envResource(json, env, 'AWS::IAM::Role', name)));
      expect(text).not.toContain(QUILT[other]);
      expect(text).not.toContain(SECRET_NAME[other]);
      expect(text).not.toContain(`"${O}SecretName"`);
      expect(text).not.toContain(envResource(json, other, 'AWS::Logs::LogGroup', 'Logs'));
      expect(text).not.toMatch(new RegExp(`"Ref":"${O}`));
      expect(text).not.toContain(`\${${O}`);
      const params = referredIds(policiesOfRole(json, envResource(json, env, 'AWS::IAM::Role', name))).filter((id) => id in json.Parameters);
      expect(params.filter((p) => !p.startsWith(TITLE[env]))).toEqual([]);
      // ... and the role's own are there, so the negative checks look at the right text.
      if (name === 'TaskRole') {
        expect(params).toEqual(['AthenaDatabase', 'AthenaWorkgroup', 'PackageBucket', 'PackagerQueueUrl', 'QuiltStackArn', 'SecretName'].map((p) => `${TITLE[env]}${p}`));
      } else {
        expect(params).toEqual([`${TITLE[env]}ImageAccount`, `${TITLE[env]}ImageRegion`, `${TITLE[env]}ImageRepositoryName`]);
      }
    }
  });

  it('creates no role with an AWS managed policy except the account-wide API Gateway logging role', () => {
    const withManaged = idsOfType(json, 'AWS::IAM::Role').filter((id) => json.Resources[id].Properties.ManagedPolicyArns);
    expect(withManaged).toHaveLength(1);
    expect(withManaged[0]).toMatch(/^SharedApiGatewayLogsRole/);
    expect(json.Resources[withManaged[0]].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
  });
});

describe('IP allow-list', () => {
  it("denies every source outside prod's list on stage prod, and leaves dev (no list) open", () => {
    const policy = json.Resources[idsOfType(json, 'AWS::ApiGateway::RestApi')[0]].Properties.Policy;
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      {
        Sid: 'AllowListOnlyprod',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/prod/*',
        Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7/32'] } },
      },
    ]);
  });

  it('applies each environment its own list when both have one', () => {
    const { json: both } = buildStack(stackProfiles({ prod: { webhookAllowList: '203.0.113.0/24' }, dev: { webhookAllowList: '192.0.2.0/28' } }));
    const statements = both.Resources[idsOfType(both, 'AWS::ApiGateway::RestApi')[0]].Properties.Policy.Statement;
    const deny = Object.fromEntries(statements.filter((s: any) => s.Effect === 'Deny').map((s: any) => [s.Resource, s.Condition.NotIpAddress['aws:SourceIp']]));
    expect(deny).toEqual({ 'execute-api:/prod/*': ['203.0.113.0/24'], 'execute-api:/dev/*': ['192.0.2.0/28'] });
    // A new policy takes effect only with a new deployment: the deployment's id follows the lists.
    expect(idsOfType(both, 'AWS::ApiGateway::Deployment')).not.toEqual(idsOfType(json, 'AWS::ApiGateway::Deployment'));
  });
});

describe('prod safety', () => {
  it('refuses ProdImageTag=latest in CloudFormation too, whatever the command line passes', () => {
    expect(json.Rules.ProdImageTagNotLatest.Assertions).toEqual([
      { Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ProdImageTag' }, 'latest'] }] }, AssertDescription: expect.stringMatching(/not latest/) },
    ]);
    expect(Object.keys(json.Rules).sort()).toEqual(['DevTaskSize', 'ProdImageTagNotLatest', 'ProdTaskSize']);
  });
});

describe('task size', () => {
  it("takes <Env>Cpu and <Env>Memory, defaulting to the profile's or the environment's right-sized default", () => {
    // The fixture's profiles set no size: dev 0.25 vCPU / 1 GB, prod 0.5 vCPU / 1 GB.
    expect(json.Parameters.DevCpu).toMatchObject({ Type: 'Number', Default: 256, AllowedValues: ['256', '512', '1024', '2048', '4096'] });
    expect(json.Parameters.DevMemory).toMatchObject({ Type: 'Number', Default: 1024, MinValue: 512, MaxValue: 30720 });
    expect(json.Parameters.ProdCpu).toMatchObject({ Default: 512 });
    expect(json.Parameters.ProdMemory).toMatchObject({ Default: 1024 });
    const sized = buildStack(stackProfiles({ prod: { cpu: 2048, memory: 8192 }, dev: { cpu: 512, memory: 2048 } })).json;
    expect(parameterDefaults(sized)).toMatchObject({ ProdCpu: '2048', ProdMemory: '8192', DevCpu: '512', DevMemory: '2048' });
  });

  it.each(ENVIRONMENTS)('%s: refuses a pair Fargate does not run in CloudFormation too, whatever the command line passes', (env) => {
    const T = TITLE[env];
    const holds = (cpu: string, memory: string) =>
      (json.Rules[`${T}TaskSize`].Assertions as { Assert: unknown }[]).every((a) => evaluate(a.Assert, { ...defaults, [`${T}Cpu`]: cpu, [`${T}Memory`]: memory }) === true);
    for (const [cpu, memory] of [['256', '512'], ['256', '2048'], ['512', '4096'], ['1024', '8192'], ['4096', '30720']]) expect(holds(cpu, memory), `${cpu}/${memory}`).toBe(true);
    for (const [cpu, memory] of [['256', '4096'], ['256', '1536'], ['512', '512'], ['1024', '1024'], ['2048', '2048'], ['4096', '4096']]) expect(holds(cpu, memory), `${cpu}/${memory}`).toBe(false);
  });

  it('refuses a bad pair at synthesis, naming the field', () => {
    expect(() => buildStack({ ...stackProfiles(), prod: { ...stackProfiles().prod, cpu: 256, memory: 4096 } })).toThrow(/memoryMiB.*512, 1024 or 2048 for cpu 256/);
  });
});

function privateSubnetIds(): string[] {
  return idsOfType(json, 'AWS::EC2::Subnet').filter((id) =>
    json.Resources[id].Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Private'),
  );
}

describe('memory: what ECS accepts when every container runs', () => {
  it.each(ENVIRONMENTS)('the %s containers reserve together at most the smallest Fargate task (512 MiB), each capped at the task memory', (env) => {
    const task = json.Resources[envResource(json, env, 'AWS::ECS::TaskDefinition')].Properties;
    const memoryRef = { Ref: `${TITLE[env]}Memory` };
    expect(task.Memory).toEqual(memoryRef);
    // Every entry as it is when its condition holds (the consumers of images from 0.17).
    const containers = (task.ContainerDefinitions as any[]).map((c) => (c['Fn::If'] ? c['Fn::If'][1] : c));
    expect(containers).toHaveLength(3);
    for (const c of containers) expect(c.Memory, c.Name).toEqual(memoryRef);
    // ECS adds up each container's reservation (its soft limit, else its hard one).
    const reserved = containers.map((c) => {
      expect(typeof c.MemoryReservation, `${c.Name} reserves a fixed amount`).toBe('number');
      return c.MemoryReservation as number;
    });
    expect(reserved.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(512);
  });
});
