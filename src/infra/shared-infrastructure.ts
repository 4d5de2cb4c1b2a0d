import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isIpv4Cidr } from '../config/schema.js';
import { BACKEND_STAGE_VARIABLE } from '../config/names.js';
import { acknowledge } from './nag.js';
import { PropsCheck, isWholeNumber, pathOf } from './props-check.js';

const STAGE_NAME_RE = /^[A-Za-z0-9_]{1,128}$/;

export interface SharedInfrastructureProps {
  /**
   * Source-IP allow-lists by API stage name. A stage listed here may be
   * called only from these IPv4 CIDRs (the API's resource policy denies every
   * other source for that stage); a stage not listed is open to any source.
   *
   * @default - no allow-list: every stage is open (calls are still verified by the container's webhook signature check)
   */
  readonly stageAllowLists?: Readonly<Record<string, readonly string[]>>;
  /**
   * NAT gateways for the tasks' outbound traffic (Benchling, ECR, AWS APIs).
   * One per availability zone keeps one zone's outage from cutting the other off.
   *
   * @default 2
   */
  readonly natGateways?: number;
  /**
   * The VPC's address range: an IPv4 CIDR with a prefix of /16 to /20 (two
   * public /24 and two private /22 subnets must fit). A literal, so the tasks'
   * security group names it and checks can read it.
   *
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string;
  /**
   * Retention of the VPC flow log. A year, as AWS Control Tower's
   * CT.CLOUDWATCH.PR.2 requires of every log group.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * What every environment shares: a VPC over two availability zones, one ECS
 * cluster, one internal network load balancer that the internet cannot reach,
 * and one regional REST API that reaches the load balancer through a VPC
 * link. The API is deployed once; each environment's stage selects its own
 * load balancer listener through the `backend` stage variable, so one API
 * definition serves every environment while a stage reaches only its own tasks.
 */
export class SharedInfrastructure extends Construct {
  public readonly vpc: ec2.Vpc;
  /** The VPC's CIDR: the only source a task's security group admits. */
  public readonly vpcCidr: string;
  public readonly cluster: ecs.Cluster;
  /** Internal: only the VPC link and addresses inside the VPC reach it. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  public readonly vpcLink: apigw.VpcLink;
  public readonly api: apigw.RestApi;
  /** The API's one deployment; every stage points at it. */
  public readonly deployment: apigw.Deployment;
  /**
   * The account-level setting that lets API Gateway write logs. Stages with
   * access or execution logging must be created after it.
   */
  public readonly apiGatewayAccount: apigw.CfnAccount;

  constructor(scope: Construct, id: string, props: SharedInfrastructureProps = {}) {
    const stageAllowLists = props.stageAllowLists ?? {};
    const natGateways = props.natGateways ?? 2;
    const vpcCidr = props.vpcCidr ?? '10.0.0.0/16';
    // Before super: refused props leave nothing half-built in the tree.
    const check = new PropsCheck(pathOf(scope, id));
    check.expect(isWholeNumber(natGateways, 1, 2), 'natGateways', 'a whole number 1..2 (one per availability zone at most)', natGateways);
    const prefix = Number(String(vpcCidr).split('/')[1]);
    check.expect(typeof vpcCidr === 'string' && isIpv4Cidr(vpcCidr) && prefix >= 16 && prefix <= 20, 'vpcCidr', 'an IPv4 CIDR from /16 to /20', vpcCidr);
    for (const [stage, cidrs] of Object.entries(stageAllowLists)) {
      check.expect(STAGE_NAME_RE.test(stage), `stageAllowLists.${stage}`, 'a stage name (letters, digits, _)', stage);
      check.expect(Array.isArray(cidrs) && cidrs.length > 0, `stageAllowLists.${stage}`, 'at least one IPv4 CIDR (leave the stage out to allow every source)', cidrs);
      for (const cidr of Array.isArray(cidrs) ? cidrs : []) {
        check.expect(typeof cidr === 'string' && isIpv4Cidr(cidr), `stageAllowLists.${stage}`, 'IPv4 CIDRs such as 203.0.113.0/24', cidr);
      }
    }
    check.throwIfAny();
    super(scope, id);

    this.vpcCidr = vpcCidr;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(vpcCidr),
      maxAzs: 2,
      natGateways,
      subnetConfiguration: [
        // Only the NAT gateways live here, each with its own Elastic IP; nothing
        // launched in these subnets gets a public address by default (CT.EC2.PR.11).
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      // Restricting the default security group needs a Lambda-backed custom
      // resource, hence an asset and a bootstrapped account. Nothing here uses
      // the default group: every task gets its own.
      restrictDefaultSecurityGroup: false,
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', { retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      // A single dev task lives in one zone; the load balancer's node in the
      // other zone must still reach it.
      crossZoneEnabled: true,
    });
    acknowledge(this.loadBalancer, {
      id: 'AwsSolutions-ELB2',
      reason:
        'The load balancer is internal and TCP-only, reached only through the API Gateway VPC link; every request is already recorded by the per-stage API Gateway access logs, so load balancer access logs (which need an S3 bucket) would duplicate them.',
    });

    this.vpcLink = new apigw.VpcLink(this, 'VpcLink', {
      targets: [this.loadBalancer],
      description: `${Stack.of(this).stackName}: API Gateway to the internal load balancer`,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: Stack.of(this).stackName,
      description: 'Benchling webhook: one stage per environment',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      deploy: false,
      cloudWatchRole: false,
      policy: allowListPolicy(stageAllowLists),
    });
    acknowledge(
      this.api,
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Benchling calls the webhook without AWS credentials or tokens; each request is authenticated by the container, which verifies the Benchling webhook signature (ENABLE_WEBHOOK_VERIFICATION), and webhookAllowList can restrict source IPs in the resource policy.',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The API is a transparent proxy for Benchling webhook payloads, which API Gateway has no model for; the container validates each request (signature, then payload), so a request validator would check nothing.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Benchling cannot present Cognito tokens; webhook requests are authenticated by their Benchling signature in the container, optionally narrowed by the source-IP allow-list.',
      },
    );

    const integrationOptions = {
      connectionType: apigw.ConnectionType.VPC_LINK,
      vpcLink: this.vpcLink,
    };
    const backend = `http://\${stageVariables.${BACKEND_STAGE_VARIABLE}}`;
    const rootMethod = this.api.root.addMethod(
      'ANY',
      new apigw.Integration({ type: apigw.IntegrationType.HTTP_PROXY, integrationHttpMethod: 'ANY', uri: `${backend}/`, options: integrationOptions }),
    );
    const proxyMethod = this.api.root.addResource('{proxy+}').addMethod(
      'ANY',
      new apigw.Integration({
        type: apigw.IntegrationType.HTTP_PROXY,
        integrationHttpMethod: 'ANY',
        uri: `${backend}/{proxy}`,
        options: { ...integrationOptions, requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' } },
      }),
      { requestParameters: { 'method.request.path.proxy': true } },
    );

    this.deployment = new apigw.Deployment(this, 'Deployment', { api: this.api, description: 'Benchling webhook routes' });
    this.deployment.node.addDependency(rootMethod, proxyMethod);
    // A deployment is a snapshot: a new logical id makes CloudFormation take a
    // new one whenever the routes or the resource policy change.
    this.deployment.addToLogicalId({ backend, stageAllowLists });

    const apiLogsRole = new iam.Role(this, 'ApiGatewayLogsRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    acknowledge(apiLogsRole, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's logging role is one per account and region, shared by every API there; AWS's managed policy for it keeps other APIs' logging working, which a policy narrowed to this stack's log groups would break.",
    });
    this.apiGatewayAccount = new apigw.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: apiLogsRole.roleArn });
    this.apiGatewayAccount.node.addDependency(this.api);
    // The setting outlives the stack: deleting the role on `destroy` would cut
    // off the logs of every other API in the account and region.
    apiLogsRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.apiGatewayAccount.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}

/**
 * The API's resource policy: allow everyone, then, for each stage with an
 * allow-list, deny every source outside it. Undefined when no stage has a list.
 */
function allowListPolicy(stageAllowLists: Readonly<Record<string, readonly string[]>>): iam.PolicyDocument | undefined {
  const stages = Object.entries(stageAllowLists).sort(([a], [b]) => a.localeCompare(b));
  if (stages.length === 0) return undefined;
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        effect: iam.Effect.ALLOW,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      ...stages.map(
        ([stage, cidrs]) =>
          new iam.PolicyStatement({
            sid: `AllowListOnly${stage.replace(/[^A-Za-z0-9]/g, '')}`,
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: [`execute-api:/${stage}/*`],
            conditions: { NotIpAddress: { 'aws:SourceIp': [...cidrs] } },
          }),
      ),
    ],
  });
}
