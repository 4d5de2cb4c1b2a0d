/**
 * What the fake knows of each resource type: the physical id CloudFormation's
 * provider would give it (so `Ref` and `Fn::GetAtt` look like AWS's), its
 * attributes, and which property changes replace it. Types not listed get a
 * generated name (`STACK-Logical-XXXXXXXXXXXX`), attribute placeholders, and
 * update in place.
 *
 * Replacement is from each type's "Update requires" in the CloudFormation
 * resource reference, kept small: the properties this project's template
 * could change. A property not listed updates without replacement ("No
 * interruption" / "Some interruptions" are both `Never` in a change set).
 */
import { createHash } from 'node:crypto';

/** What a change set says a property change does to the resource. */
export type Recreation = 'Always' | 'Conditionally' | 'Never';

/** What a physical id and attributes are made from; all values are resolved. */
export interface NamingContext {
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly account: string;
  readonly logicalId: string;
  /** 0 for the first physical resource of this logical id, +1 per replacement: seeds the random parts. */
  readonly generation: number;
  readonly properties: Readonly<Record<string, any>>;
}

interface ResourceType {
  /** Properties whose change requires a new physical resource; `'*'`: every property. */
  readonly replaces?: Readonly<Record<string, Exclude<Recreation, 'Never'>>> | '*';
  readonly physicalId?: (c: NamingContext) => string;
  readonly attributes?: (c: NamingContext, physicalId: string) => Record<string, unknown>;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** `length` characters of `alphabet`, stable for a seed (physical ids are stable across updates and runs). */
export function token(seed: string, length: number, alphabet: string): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    for (const byte of createHash('sha256').update(`${seed}#${block}`).digest()) {
      if (out.length === length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

const seedOf = (c: NamingContext, salt = ''): string => `${c.stackId}/${c.logicalId}/${c.generation}${salt}`;

/** CloudFormation's generated name: `Stack-Logical-RANDOM`, the first two parts cut to fit `max`. */
export function generatedName(c: NamingContext, max = 255, alphabet = MIXED): string {
  const suffix = token(seedOf(c, 'name'), max >= 64 ? 12 : Math.min(12, max - 12), alphabet);
  const full = `${c.stackName}-${c.logicalId}-${suffix}`;
  if (full.length <= max) return full;
  const room = max - suffix.length - 2;
  const stackPart = Math.max(1, Math.floor(room / 2));
  return `${c.stackName.slice(0, stackPart)}-${c.logicalId.slice(0, room - stackPart)}-${suffix}`;
}

const ec2Id = (prefix: string) => (c: NamingContext) => `${prefix}-${token(seedOf(c), 17, HEX)}`;
const arn = (c: NamingContext, service: string, resource: string, region = c.region) => `arn:aws:${service}:${region}:${c.account}:${resource}`;
const lastPart = (nameOrArn: string): string => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** ELBv2 name and id of a load balancer or target group (32 characters at most). */
const elbName = (c: NamingContext) => str(c.properties.Name) ?? generatedName(c, 32, UPPER);

const TYPES: Readonly<Record<string, ResourceType>> = {
  'AWS::ECS::Cluster': {
    replaces: { ClusterName: 'Always' },
    physicalId: (c) => str(c.properties.ClusterName) ?? generatedName(c),
    attributes: (c, id) => ({ Arn: arn(c, 'ecs', `cluster/${id}`) }),
  },
  'AWS::ECS::Service': {
    replaces: { ServiceName: 'Always', Cluster: 'Always', LaunchType: 'Always', Role: 'Always', SchedulingStrategy: 'Always', DeploymentController: 'Always' },
    physicalId: (c) => arn(c, 'ecs', `service/${lastPart(String(c.properties.Cluster ?? 'default'))}/${str(c.properties.ServiceName) ?? generatedName(c)}`),
    attributes: (_c, id) => ({ Name: lastPart(id), ServiceArn: id }),
  },
  // Every property of a task definition is "Update requires: Replacement": a change registers a new revision.
  'AWS::ECS::TaskDefinition': {
    replaces: '*',
    physicalId: (c) => arn(c, 'ecs', `task-definition/${str(c.properties.Family) ?? generatedName(c)}:${c.generation + 1}`),
    attributes: (_c, id) => ({ TaskDefinitionArn: id }),
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    replaces: { Name: 'Always', Scheme: 'Always', Type: 'Always' },
    physicalId: (c) => {
      const kind = c.properties.Type === 'network' ? 'net' : c.properties.Type === 'gateway' ? 'gwy' : 'app';
      return arn(c, 'elasticloadbalancing', `loadbalancer/${kind}/${elbName(c)}/${token(seedOf(c), 16, HEX)}`);
    },
    attributes: (c, id) => {
      const [kind, name, hash] = id.split(':loadbalancer/')[1].split('/');
      const internal = c.properties.Scheme === 'internal' ? 'internal-' : '';
      return {
        LoadBalancerArn: id,
        LoadBalancerName: name,
        LoadBalancerFullName: `${kind}/${name}/${hash}`,
        DNSName: kind === 'net' ? `${internal}${name}-${hash}.elb.${c.region}.amazonaws.com` : `${internal}${name}-${token(seedOf(c, 'dns'), 10, '0123456789')}.${c.region}.elb.amazonaws.com`,
        CanonicalHostedZoneID: kind === 'net' ? 'Z26RNL4JYFTOTI' : 'Z35SXDOTRQ7X7K',
        SecurityGroups: [],
      };
    },
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    replaces: { Name: 'Always', Port: 'Always', Protocol: 'Always', VpcId: 'Always', TargetType: 'Always', ProtocolVersion: 'Always', IpAddressType: 'Always' },
    physicalId: (c) => arn(c, 'elasticloadbalancing', `targetgroup/${elbName(c)}/${token(seedOf(c), 16, HEX)}`),
    attributes: (_c, id) => {
      const [name, hash] = id.split(':targetgroup/')[1].split('/');
      return { TargetGroupArn: id, TargetGroupName: name, TargetGroupFullName: `targetgroup/${name}/${hash}`, LoadBalancerArns: [] };
    },
  },
  'AWS::ElasticLoadBalancingV2::Listener': {
    replaces: { LoadBalancerArn: 'Always' },
    physicalId: (c) => `${String(c.properties.LoadBalancerArn).replace(':loadbalancer/', ':listener/')}/${token(seedOf(c), 16, HEX)}`,
    attributes: (_c, id) => ({ ListenerArn: id }),
  },
  'AWS::CloudWatch::Alarm': {
    replaces: { AlarmName: 'Always' },
    physicalId: (c) => str(c.properties.AlarmName) ?? generatedName(c),
    attributes: (c, id) => ({ Arn: arn(c, 'cloudwatch', `alarm:${id}`) }),
  },
  'AWS::Logs::LogGroup': {
    replaces: { LogGroupName: 'Always' },
    physicalId: (c) => str(c.properties.LogGroupName) ?? generatedName(c, 512),
    attributes: (c, id) => ({ Arn: arn(c, 'logs', `log-group:${id}:*`) }),
  },
  'AWS::IAM::Role': {
    replaces: { RoleName: 'Always', Path: 'Always' },
    physicalId: (c) => str(c.properties.RoleName) ?? generatedName(c, 64),
    attributes: (c, id) => ({ Arn: `arn:aws:iam::${c.account}:role${String(c.properties.Path ?? '/')}${id}`, RoleId: `AROA${token(seedOf(c, 'roleid'), 17, UPPER)}` }),
  },
  'AWS::IAM::Policy': { physicalId: (c) => generatedName(c, 32, UPPER) },
  'AWS::EC2::VPC': {
    replaces: { CidrBlock: 'Always', InstanceTenancy: 'Conditionally' },
    physicalId: ec2Id('vpc'),
    attributes: (c, id) => ({ VpcId: id, CidrBlock: c.properties.CidrBlock, DefaultSecurityGroup: `sg-${token(seedOf(c, 'sg'), 17, HEX)}`, DefaultNetworkAcl: `acl-${token(seedOf(c, 'acl'), 17, HEX)}` }),
  },
  'AWS::EC2::Subnet': {
    replaces: { AvailabilityZone: 'Always', CidrBlock: 'Always', VpcId: 'Always' },
    physicalId: ec2Id('subnet'),
    attributes: (c, id) => ({ SubnetId: id, AvailabilityZone: c.properties.AvailabilityZone, VpcId: c.properties.VpcId, CidrBlock: c.properties.CidrBlock }),
  },
  'AWS::EC2::RouteTable': { replaces: { VpcId: 'Always' }, physicalId: ec2Id('rtb'), attributes: (_c, id) => ({ RouteTableId: id }) },
  'AWS::EC2::SubnetRouteTableAssociation': { replaces: { SubnetId: 'Always' }, physicalId: ec2Id('rtbassoc'), attributes: (_c, id) => ({ Id: id }) },
  'AWS::EC2::Route': { replaces: { RouteTableId: 'Always', DestinationCidrBlock: 'Always' }, physicalId: (c) => `${String(c.properties.RouteTableId)}|${String(c.properties.DestinationCidrBlock ?? '::/0')}` },
  'AWS::EC2::InternetGateway': { physicalId: ec2Id('igw'), attributes: (_c, id) => ({ InternetGatewayId: id }) },
  'AWS::EC2::VPCGatewayAttachment': { replaces: { VpcId: 'Always' }, physicalId: (c) => `IGW|${String(c.properties.VpcId)}` },
  'AWS::EC2::EIP': {
    replaces: { Domain: 'Always' },
    physicalId: (c) => `3.${[0, 1, 2].map((i) => parseInt(token(seedOf(c, `ip${i}`), 2, HEX), 16)).join('.')}`,
    attributes: (c, id) => ({ AllocationId: `eipalloc-${token(seedOf(c, 'alloc'), 17, HEX)}`, PublicIp: id }),
  },
  'AWS::EC2::NatGateway': { replaces: { SubnetId: 'Always', AllocationId: 'Always', ConnectivityType: 'Always' }, physicalId: ec2Id('nat'), attributes: (_c, id) => ({ NatGatewayId: id }) },
  'AWS::EC2::SecurityGroup': {
    replaces: { GroupDescription: 'Always', GroupName: 'Always', VpcId: 'Always' },
    physicalId: ec2Id('sg'),
    attributes: (c, id) => ({ GroupId: id, VpcId: c.properties.VpcId }),
  },
  'AWS::EC2::SecurityGroupIngress': { replaces: '*', physicalId: ec2Id('sgr') },
  'AWS::EC2::SecurityGroupEgress': { replaces: '*', physicalId: ec2Id('sgr') },
  'AWS::EC2::FlowLog': { replaces: '*', physicalId: ec2Id('fl'), attributes: (_c, id) => ({ Id: id }) },
  // RestApi: every property updates in place (Name, Policy, Description, ...).
  'AWS::ApiGateway::RestApi': {
    physicalId: (c) => token(seedOf(c), 10, LOWER),
    attributes: (c, id) => ({ RestApiId: id, RootResourceId: token(seedOf(c, 'root'), 10, LOWER) }),
  },
  'AWS::ApiGateway::Resource': { replaces: { ParentId: 'Always', PathPart: 'Always', RestApiId: 'Always' }, physicalId: (c) => token(seedOf(c), 6, LOWER), attributes: (_c, id) => ({ ResourceId: id }) },
  'AWS::ApiGateway::Method': { replaces: { ResourceId: 'Always', RestApiId: 'Always' }, physicalId: (c) => generatedName(c, 64, UPPER) },
  // A deployment is immutable: a change to what it deploys (RestApiId, canary settings) creates a new one.
  'AWS::ApiGateway::Deployment': {
    replaces: { RestApiId: 'Always', DeploymentCanarySettings: 'Always' },
    physicalId: (c) => token(seedOf(c), 6, LOWER),
    attributes: (_c, id) => ({ DeploymentId: id }),
  },
  'AWS::ApiGateway::Stage': { replaces: { StageName: 'Always', RestApiId: 'Always' }, physicalId: (c) => str(c.properties.StageName) ?? generatedName(c, 128) },
  'AWS::ApiGateway::VpcLink': { replaces: { TargetArns: 'Always' }, physicalId: (c) => token(seedOf(c), 6, LOWER), attributes: (_c, id) => ({ VpcLinkId: id }) },
  'AWS::ApiGateway::Account': { physicalId: (c) => generatedName(c, 64, UPPER) },
  'AWS::ApplicationAutoScaling::ScalableTarget': {
    replaces: { ResourceId: 'Always', ScalableDimension: 'Always', ServiceNamespace: 'Always' },
    physicalId: (c) => `${String(c.properties.ResourceId)}|${String(c.properties.ScalableDimension)}|${String(c.properties.ServiceNamespace)}`,
  },
  'AWS::ApplicationAutoScaling::ScalingPolicy': {
    replaces: { PolicyName: 'Always', ResourceId: 'Always', ScalableDimension: 'Always', ScalingTargetId: 'Always', ServiceNamespace: 'Always' },
    physicalId: (c) => {
      const target = String(c.properties.ScalingTargetId ?? c.properties.ResourceId ?? '').split('|')[0];
      return arn(c, 'autoscaling', `scalingPolicy:${token(seedOf(c), 8, HEX)}-${token(seedOf(c, 'b'), 4, HEX)}-${token(seedOf(c, 'c'), 4, HEX)}-${token(seedOf(c, 'd'), 4, HEX)}-${token(seedOf(c, 'e'), 12, HEX)}:resource/ecs/${target}:policyName/${String(c.properties.PolicyName)}`);
    },
    attributes: (_c, id) => ({ Arn: id }),
  },
  // The bootstrap stack's (CDKToolkit, `bootstrapAccount` in stacks.ts): names as CloudFormation's providers make them.
  'AWS::S3::Bucket': {
    replaces: { BucketName: 'Always', ObjectLockEnabled: 'Always' },
    // A generated bucket name is lowercase and at most 63 characters.
    physicalId: (c) => str(c.properties.BucketName) ?? generatedName(c, 63, LOWER).toLowerCase(),
    attributes: (c, id) => ({
      Arn: `arn:aws:s3:::${id}`,
      DomainName: `${id}.s3.amazonaws.com`,
      RegionalDomainName: `${id}.s3.${c.region}.amazonaws.com`,
      DualStackDomainName: `${id}.s3.dualstack.${c.region}.amazonaws.com`,
      WebsiteURL: `http://${id}.s3-website-${c.region}.amazonaws.com`,
    }),
  },
  'AWS::S3::BucketPolicy': { replaces: { Bucket: 'Always' }, physicalId: (c) => String(c.properties.Bucket) },
  'AWS::ECR::Repository': {
    replaces: { RepositoryName: 'Always', EncryptionConfiguration: 'Always' },
    physicalId: (c) => str(c.properties.RepositoryName) ?? generatedName(c, 256, LOWER).toLowerCase(),
    attributes: (c, id) => ({ Arn: arn(c, 'ecr', `repository/${id}`), RepositoryUri: `${c.account}.dkr.ecr.${c.region}.amazonaws.com/${id}` }),
  },
  'AWS::SSM::Parameter': {
    replaces: { Name: 'Always' },
    physicalId: (c) => str(c.properties.Name) ?? `CFN-${c.logicalId}-${token(seedOf(c), 12, MIXED)}`,
    attributes: (c) => ({ Type: c.properties.Type, Value: c.properties.Value }),
  },
  'AWS::KMS::Key': {
    physicalId: (c) => `${token(seedOf(c), 8, HEX)}-${token(seedOf(c, 'b'), 4, HEX)}-${token(seedOf(c, 'c'), 4, HEX)}-${token(seedOf(c, 'd'), 4, HEX)}-${token(seedOf(c, 'e'), 12, HEX)}`,
    attributes: (c, id) => ({ Arn: arn(c, 'kms', `key/${id}`), KeyId: id }),
  },
  'AWS::KMS::Alias': { replaces: { AliasName: 'Always' }, physicalId: (c) => String(c.properties.AliasName) },
  'AWS::IAM::ManagedPolicy': {
    replaces: { ManagedPolicyName: 'Always', Path: 'Always' },
    physicalId: (c) => `arn:aws:iam::${c.account}:policy${String(c.properties.Path ?? '/')}${str(c.properties.ManagedPolicyName) ?? generatedName(c, 128)}`,
    attributes: (_c, id) => ({ PolicyArn: id }),
  },
  'AWS::SecretsManager::Secret': {
    replaces: { Name: 'Always' },
    physicalId: (c) => arn(c, 'secretsmanager', `secret:${str(c.properties.Name) ?? generatedName(c)}-${token(seedOf(c), 6, MIXED)}`),
    attributes: (_c, id) => ({ Id: id }),
  },
};

/** How a change of `property` of a `type` resource is carried out. */
export function recreationOf(type: string, property: string): Recreation {
  const replaces = TYPES[type]?.replaces;
  if (replaces === '*') return 'Always';
  return replaces?.[property] ?? 'Never';
}

/** The physical id the resource's provider would return: `Ref`'s value. */
export function physicalIdOf(type: string, c: NamingContext): string {
  return TYPES[type]?.physicalId?.(c) ?? generatedName(c);
}

/** The attributes the table knows for the resource, stored with it when it is created or replaced. */
export function attributesOf(type: string, c: NamingContext, physicalId: string): Record<string, unknown> {
  return TYPES[type]?.attributes?.(c, physicalId) ?? {};
}

/**
 * One attribute for `Fn::GetAtt`. An attribute the table does not know
 * answers a placeholder made from the physical id (an `Arn` shaped like one),
 * so a template using it still deploys and compares equal across updates.
 */
export function attributeValue(resource: { readonly type: string; readonly physicalId: string; readonly attributes: Readonly<Record<string, unknown>> }, name: string, region: string, account: string): unknown {
  if (name in resource.attributes) return resource.attributes[name];
  if (name === 'Arn') {
    const [, service, kind] = resource.type.split('::');
    return `arn:aws:${service.toLowerCase()}:${region}:${account}:${kind.toLowerCase()}/${resource.physicalId}`;
  }
  return `${resource.physicalId}|${name}`;
}
