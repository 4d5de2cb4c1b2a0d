import { Aws, CfnCondition, CfnOutput, CfnParameter, CfnRule, Duration, Fn, Stack, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  ENVIRONMENTS,
  GLUE_NAME_RE,
  HOST_RE,
  LOG_LEVELS,
  QUILT_STACK_ARN_RE,
  SQS_URL_RE,
  WORKGROUP_RE,
  isImageReference,
  type EnvironmentName,
  type LogLevel,
} from '../config/schema.js';
import { CONSUMERS, CONSUMER_SETS, CONTAINER_VARIABLES, TASK_PERMISSIONS, consumersFor, type PermissionResource, type VariableValue } from './container-contract.js';
import { BACKEND_STAGE_VARIABLE, CONTAINER_PORT, HEALTH_PATH, LISTENER_PORTS, envTitle, imageRepositoryParts, outputName, parameterName } from '../config/names.js';
import { acknowledge } from './nag.js';
import { PropsCheck, isWholeNumber, pathOf } from './props-check.js';
import { FARGATE_CPUS, FARGATE_MEMORY, isFargatePair, memoryChoices } from '../config/task-size.js';
import type { SharedInfrastructure } from './shared-infrastructure.js';
import { RolloutAlarms, rolloutDeploymentAlarms } from './rollout-alarms.js';

const SECRET_NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const IMAGE_TAG_PATTERN = '^(sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$';
const SECRET_NAME_PATTERN = '^[A-Za-z0-9/_+=.@-]{1,512}$';

/**
 * Memory each container reserves (MiB). ECS refuses a task definition whose
 * containers reserve more than the task's memory (a container's reservation is
 * its soft limit, else its hard one): these add up to the smallest Fargate task.
 */
export const WEBHOOK_RESERVATION_MIB = 256;
export const CONSUMER_RESERVATION_MIB = 128;

/**
 * `<Env>QuiltStackArn`: one CloudFormation stack's ARN, never a wildcard (no
 * `*` or `?` can match), so the task role can describe exactly one stack.
 */
export const QUILT_STACK_ARN_PATTERN = '^arn:aws(-cn|-us-gov)?:cloudformation:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:stack/[A-Za-z][A-Za-z0-9-]{0,127}/[A-Za-z0-9-]+$';
const ACCOUNT_PATTERN = '^\\d{12}$';
const REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-\\d$';
/** An ECR repository name; no `*` or `?` can match, so the pull permission names exactly one repository. */
const REPOSITORY_NAME_PATTERN = '^[a-z0-9]+([._/-][a-z0-9]+)*$';
const QUILT_STACK_ARN_PARAMETER_RE = new RegExp(QUILT_STACK_ARN_PATTERN);
const BUCKET_PATTERN = '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$';
/** The task's processes run as the image's own user (appuser, uid 1000, in every release's Dockerfile), never root. */
export const CONTAINER_USER = '1000';

export interface EnvironmentRuntimeProps {
  /** Which environment this is: names its stage, parameters, outputs and `Environment` tag. */
  readonly environment: EnvironmentName;
  /** The VPC, cluster, load balancer and API this environment plugs into. */
  readonly shared: SharedInfrastructure;
  /** Default of `<Env>QuiltStackArn`: this environment's Quilt stack, the only CloudFormation stack its task may describe. */
  readonly quiltStackArn: string;
  /**
   * The ECR repository URI the service pulls from
   * (`ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/NAME`), and the only
   * repository its execution role may pull from: the defaults of
   * `<Env>ImageAccount`, `<Env>ImageRegion` and `<Env>ImageRepositoryName`.
   * The registry's domain follows the stack's partition (`AWS::URLSuffix`),
   * as an ECR pull cannot cross partitions.
   */
  readonly imageRepository: string;
  /** Default of the `<Env>ImageTag` parameter: a Docker tag or `sha256:<64 hex>` (pinned by digest). */
  readonly imageTag: string;
  /** Default of the `<Env>SecretName` parameter: the Secrets Manager secret the container reads. */
  readonly secretName: string;
  /** Default of `<Env>PackageBucket`: the S3 bucket the container writes packages to (the profile's pkgBucket). */
  readonly packageBucket: string;
  /**
   * Defaults of `<Env>QuiltWebHost`, `<Env>PackagerQueueUrl` and
   * `<Env>AthenaDatabase`: what the container needs of its Quilt stack. Absent
   * (the usual case), the parameter has no default and the deploy passes the
   * values it read from the Quilt stack's outputs.
   */
  readonly quiltWebHost?: string;
  readonly packagerQueueUrl?: string;
  readonly athenaDatabase?: string;
  /**
   * Default of `<Env>AthenaWorkgroup`.
   *
   * @default 'primary'
   */
  readonly athenaWorkgroup?: string;
  /** Default of `<Env>MinCapacity`. */
  readonly minCapacity: number;
  /** Default of `<Env>MaxCapacity`; at least `minCapacity`. */
  readonly maxCapacity: number;
  /** Default of `<Env>LogLevel`. */
  readonly logLevel: LogLevel;
  /**
   * Default of `<Env>WebhookVerification`: whether the container verifies
   * Benchling's webhook signatures.
   *
   * @default true
   */
  readonly webhookVerification?: boolean;
  /**
   * The internal load balancer port this environment's stage is routed to.
   *
   * @default LISTENER_PORTS[environment] (prod 8080, dev 8081)
   */
  readonly listenerPort?: number;
  /**
   * Default of `<Env>Cpu`: Fargate CPU units of one task.
   *
   * @default 1024
   */
  readonly cpu?: number;
  /**
   * Default of `<Env>Memory`: memory of one task, in MiB; must suit `cpu` (Fargate's table).
   *
   * @default 2048
   */
  readonly memoryMiB?: number;
  /**
   * Retention of the container logs and the stage's access logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One isolated environment: its own Fargate service, task definition, target
 * group and load balancer listener, task and execution roles, log groups, API
 * stage and autoscaling, all tagged `Environment=<env>`. Every value of its
 * profile that reaches its service enters as a CloudFormation parameter
 * `<Env><Name>` (PARAMETER_SUFFIXES), and its resources refer to the
 * parameters, never to the profile's literal values: the template's resources
 * are the same whatever the profiles hold, so deploying one environment
 * passes only its own and leaves the other's service untouched.
 */
export class EnvironmentRuntime extends Construct {
  public readonly environment: EnvironmentName;
  public readonly stageName: string;
  public readonly listenerPort: number;
  public readonly parameters: {
    readonly imageTag: CfnParameter;
    readonly secretName: CfnParameter;
    readonly minCapacity: CfnParameter;
    readonly maxCapacity: CfnParameter;
    readonly cpu: CfnParameter;
    readonly memory: CfnParameter;
    readonly logLevel: CfnParameter;
    readonly quiltStackArn: CfnParameter;
    readonly imageAccount: CfnParameter;
    readonly imageRegion: CfnParameter;
    readonly imageRepositoryName: CfnParameter;
    readonly webhookVerification: CfnParameter;
    readonly packageBucket: CfnParameter;
    readonly quiltWebHost: CfnParameter;
    readonly packagerQueueUrl: CfnParameter;
    readonly athenaDatabase: CfnParameter;
    readonly athenaWorkgroup: CfnParameter;
    readonly consumers: CfnParameter;
  };
  /** The environment's own queues, which images from 0.17 read (container-contract.ts). */
  public readonly packagingRequestQueue: sqs.Queue;
  public readonly packageEventQueue: sqs.Queue;
  public readonly taskRole: iam.Role;
  public readonly executionRole: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly accessLogGroup: logs.LogGroup;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly targetGroup: elbv2.NetworkTargetGroup;
  public readonly listener: elbv2.NetworkListener;
  public readonly service: ecs.FargateService;
  public readonly stage: apigw.Stage;
  /** Its stage's 5xx rate and its unhealthy targets: its service's deployment alarms, with rollback. */
  public readonly rolloutAlarms: RolloutAlarms;
  /** `https://API.execute-api.REGION.URLSUFFIX/<stage>` */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: EnvironmentRuntimeProps) {
    const cpu = props.cpu ?? 1024;
    const memoryMiB = props.memoryMiB ?? 2048;
    const listenerPort = props.listenerPort ?? (ENVIRONMENTS.includes(props.environment) ? LISTENER_PORTS[props.environment] : 0);
    // Before super: refused props leave nothing half-built in the tree.
    validate(pathOf(scope, id), props, { cpu, memoryMiB, listenerPort });
    super(scope, id);
    const { environment, shared } = props;

    this.environment = environment;
    this.stageName = environment;
    this.listenerPort = listenerPort;
    const title = envTitle(environment);
    Tags.of(this).add('Environment', environment);

    // Per-environment values: parameters, so a deploy of one environment
    // passes its own and keeps the other's previous values.
    const param = (suffix: Parameters<typeof parameterName>[1], options: ConstructorParameters<typeof CfnParameter>[2]) => {
      const p = new CfnParameter(this, suffix, options);
      p.overrideLogicalId(parameterName(environment, suffix));
      return p;
    };
    const imageTag = param('ImageTag', {
      type: 'String',
      default: props.imageTag,
      allowedPattern: IMAGE_TAG_PATTERN,
      description: `${environment}: image tag, or sha256:<digest> to pin the image`,
    });
    const secretName = param('SecretName', {
      type: 'String',
      default: props.secretName,
      allowedPattern: SECRET_NAME_PATTERN,
      description: `${environment}: name of the Secrets Manager secret the container reads`,
    });
    const minCapacity = param('MinCapacity', { type: 'Number', default: props.minCapacity, minValue: 0, maxValue: 1000, description: `${environment}: fewest tasks` });
    const maxCapacity = param('MaxCapacity', { type: 'Number', default: props.maxCapacity, minValue: 1, maxValue: 1000, description: `${environment}: most tasks` });
    // The task size: parameters too, so resizing one environment never rolls the other's tasks.
    const cpuParameter = param('Cpu', {
      type: 'Number',
      default: cpu,
      allowedValues: FARGATE_CPUS.map(String),
      description: `${environment}: Fargate CPU units of one task (1024 = 1 vCPU)`,
    });
    const memoryParameter = param('Memory', {
      type: 'Number',
      default: memoryMiB,
      minValue: 512,
      maxValue: 30720,
      description: `${environment}: memory of one task in MiB, a size Fargate allows for ${title}Cpu`,
    });
    const logLevel = param('LogLevel', { type: 'String', default: props.logLevel, allowedValues: [...LOG_LEVELS], description: `${environment}: container log level` });
    const quiltStackArn = param('QuiltStackArn', {
      type: 'String',
      default: props.quiltStackArn,
      allowedPattern: QUILT_STACK_ARN_PATTERN,
      description: `${environment}: the Quilt stack the webhook reads`,
    });
    // The repository URI in three parts: the image and the execution role's
    // pull permission are both built from them, so they name the same repository.
    const repository = imageRepositoryParts(props.imageRepository)!;
    const imageAccount = param('ImageAccount', { type: 'String', default: repository.account, allowedPattern: ACCOUNT_PATTERN, description: `${environment}: account of the image's ECR repository` });
    const imageRegion = param('ImageRegion', { type: 'String', default: repository.region, allowedPattern: REGION_PATTERN, description: `${environment}: region of the image's ECR repository` });
    const imageRepositoryName = param('ImageRepositoryName', { type: 'String', default: repository.name, allowedPattern: REPOSITORY_NAME_PATTERN, description: `${environment}: name of the image's ECR repository` });
    const webhookVerification = param('WebhookVerification', {
      type: 'String',
      default: String(props.webhookVerification ?? true),
      allowedValues: ['true', 'false'],
      description: `${environment}: verify Benchling webhook signatures`,
    });
    const packageBucket = param('PackageBucket', { type: 'String', default: props.packageBucket, allowedPattern: BUCKET_PATTERN, description: `${environment}: package bucket` });
    const quiltWebHost = param('QuiltWebHost', { type: 'String', default: props.quiltWebHost, allowedPattern: HOST_RE.source, description: `${environment}: Quilt catalog host` });
    const packagerQueueUrl = param('PackagerQueueUrl', { type: 'String', default: props.packagerQueueUrl, allowedPattern: SQS_URL_RE.source, description: `${environment}: Quilt packager queue URL` });
    const athenaDatabase = param('AthenaDatabase', { type: 'String', default: props.athenaDatabase, allowedPattern: GLUE_NAME_RE.source, description: `${environment}: Athena database` });
    const athenaWorkgroup = param('AthenaWorkgroup', { type: 'String', default: props.athenaWorkgroup ?? 'primary', allowedPattern: WORKGROUP_RE.source, description: `${environment}: Athena workgroup` });
    const consumers = param('Consumers', {
      type: 'String',
      default: consumersFor(props.imageTag),
      allowedValues: [...CONSUMER_SETS],
      description: `${environment}: the image's queue consumers (by its version)`,
    });
    this.parameters = {
      imageTag, secretName, minCapacity, maxCapacity, cpu: cpuParameter, memory: memoryParameter, logLevel, quiltStackArn, imageAccount, imageRegion, imageRepositoryName, webhookVerification,
      packageBucket, quiltWebHost, packagerQueueUrl, athenaDatabase, athenaWorkgroup, consumers,
    };
    // Fargate takes only its own pairs: a bad one is refused before any resource changes.
    const sizeRule = new CfnRule(this, 'TaskSize', {
      assertions: Object.entries(FARGATE_MEMORY).map(([units, memories]) => ({
        assert: Fn.conditionOr(
          Fn.conditionNot(Fn.conditionEquals(cpuParameter.valueAsString, units)),
          Fn.conditionContains(memories.map(String), memoryParameter.valueAsString),
        ),
        assertDescription: `${title}Memory must be ${memoryChoices(Number(units))}`,
      })),
    });
    sizeRule.overrideLogicalId(`${title}TaskSize`);
    if (environment === 'prod') {
      // PRODUCT.md: prod names a fixed version or digest, never `latest`,
      // also when the tag comes from the command line rather than the profile.
      const rule = new CfnRule(this, 'ImageTagNotLatest', {
        assertions: [{ assert: Fn.conditionNot(Fn.conditionEquals(imageTag.valueAsString, 'latest')), assertDescription: 'ProdImageTag must name a fixed version or digest, not latest' }],
      });
      rule.overrideLogicalId(`${title}ImageTagNotLatest`);
    }

    // A tag is a parameter, so whether it is a digest is decided by
    // CloudFormation: `repo@sha256:...` pins by digest, `repo:tag` otherwise.
    const isDigest = new CfnCondition(this, 'ImageIsDigest', {
      expression: Fn.conditionEquals(Fn.select(0, Fn.split('sha256:', imageTag.valueAsString)), ''),
    });
    isDigest.overrideLogicalId(`${title}ImageIsDigest`);
    // `${<Env>Image...}` names the parameters directly: shorter than Fn::Sub's variable map.
    const [account, region, name] = (['ImageAccount', 'ImageRegion', 'ImageRepositoryName'] as const).map((suffix) => `\${${parameterName(environment, suffix)}}`);
    const image = Fn.join('', [
      Fn.sub(`${account}.dkr.ecr.${region}.\${AWS::URLSuffix}/${name}`),
      Fn.conditionIf(isDigest.logicalId, '@', ':').toString(),
      imageTag.valueAsString,
    ]);
    const repositoryArn = Fn.sub(`arn:\${AWS::Partition}:ecr:${region}:${account}:repository/${name}`);

    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention });

    // Execution role: what ECS itself needs to start a task: pull this
    // repository's image and write to this environment's log group. No secret:
    // the container gets only the secret's name and reads it with its task role.
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${environment}: ECS pulls the webhook image and writes its logs`,
    });
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: [repositoryArn],
      }),
    );
    this.executionRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    acknowledge(this.executionRole, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports no resource-level permission (AWS requires Resource "*"); image pulls themselves are limited to the one repository the <Env>Image* parameters name.',
    });

    // The environment's own queues, which images from 0.17 publish to and drain
    // (container-contract.ts); created for every environment whatever it runs, so
    // promote and rollback between versions need no template change.
    // SSE-SQS stated (new queues get it anyway) and the dead-letter queues' redrive
    // permission stated (allowAll is SQS's default), as Control Tower's
    // CT.SQS.PR.2 and CT.SQS.PR.1 read the template.
    const deadLetterProps = { encryption: sqs.QueueEncryption.SQS_MANAGED, redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL }, retentionPeriod: Duration.days(14) };
    const packagingDeadLetters = new sqs.Queue(this, 'PackagingRequestDLQ', { ...deadLetterProps, fifo: true });
    this.packagingRequestQueue = new sqs.Queue(this, 'PackagingRequestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      fifo: true,
      contentBasedDeduplication: true,
      visibilityTimeout: Duration.minutes(40),
      deadLetterQueue: { queue: packagingDeadLetters, maxReceiveCount: 3 },
    });
    const eventDeadLetters = new sqs.Queue(this, 'PackageEventDLQ', deadLetterProps);
    this.packageEventQueue = new sqs.Queue(this, 'PackageEventQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.minutes(5),
      deadLetterQueue: { queue: eventDeadLetters, maxReceiveCount: 5 },
    });
    new events.Rule(this, 'PackageRevisionRule', {
      description: `${environment}: Quilt package revisions, for the canvases of images from 0.17`,
      eventPattern: { source: ['com.quiltdata'], detailType: ['package-revision'] },
      targets: [new eventsTargets.SqsQueue(this.packageEventQueue)],
    });
    for (const q of [packagingDeadLetters, eventDeadLetters, this.packagingRequestQueue, this.packageEventQueue]) {
      acknowledge(q, {
        id: 'AwsSolutions-SQS4',
        reason:
          'Only this environment\'s task role (through the AWS SDK, which always uses TLS) and EventBridge reach the queue; a deny-without-TLS policy per queue would add eight policies and push the template past the 50 KiB cdk sends inline, which would make every user bootstrap the account.',
      });
    }

    // Task role: exactly what the contract lists (container-contract.ts), each on this
    // environment's own resources (its bucket, its packager queue by ARN, its database,
    // workgroup and queues, its secret); nothing of another environment.
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${environment}: what the webhook image calls, on this environment's resources only`,
    });
    const secretArnPattern = Fn.sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}-??????', {
      Name: secretName.valueAsString,
    });
    // `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` -> `arn:PARTITION:sqs:REGION:ACCOUNT:NAME` (the pattern makes every part present).
    const queueUrlParts = Fn.split('/', packagerQueueUrl.valueAsString);
    const packagerQueueArn = Fn.join(':', [
      'arn', Aws.PARTITION, 'sqs', Fn.select(1, Fn.split('.', Fn.select(2, queueUrlParts))), Fn.select(3, queueUrlParts), Fn.select(4, queueUrlParts),
    ]);
    // Parameters named in the Fn::Sub strings themselves: shorter than a variable map.
    const [bucket, database, workgroup] = (['PackageBucket', 'AthenaDatabase', 'AthenaWorkgroup'] as const).map((suffix) => `\${${parameterName(environment, suffix)}}`);
    const resultsBucket = 'arn:${AWS::Partition}:s3:::aws-athena-query-results-${AWS::AccountId}-${AWS::Region}';
    const resources: Record<PermissionResource, string[]> = {
      secret: [secretArnPattern],
      quiltStack: [quiltStackArn.valueAsString],
      packageBucket: [Fn.sub(`arn:\${AWS::Partition}:s3:::${bucket}`)],
      packageObjects: [Fn.sub(`arn:\${AWS::Partition}:s3:::${bucket}/*`)],
      packagerQueue: [packagerQueueArn],
      glueCatalog: [
        Fn.sub('arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog'),
        Fn.sub(`arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:database/${database}`),
        Fn.sub(`arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:table/${database}/*`),
      ],
      athenaWorkgroup: [Fn.sub(`arn:\${AWS::Partition}:athena:\${AWS::Region}:\${AWS::AccountId}:workgroup/${workgroup}`)],
      athenaResultsBucket: [Fn.sub(resultsBucket)],
      athenaResultsObjects: [Fn.sub(`${resultsBucket}/*`)],
      packageEventQueue: [this.packageEventQueue.queueArn],
      packagingRequestQueue: [this.packagingRequestQueue.queueArn],
    };
    for (const permission of TASK_PERMISSIONS) {
      this.taskRole.addToPolicy(new iam.PolicyStatement({ actions: [...permission.actions], resources: resources[permission.on] }));
    }
    const P = envTitle(environment);
    acknowledge(
      this.taskRole,
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${P}PackageBucket>/*]`,
        reason: "The webhook writes each Benchling entry's export under keys it names at run time (pkgPrefix/entry) and reads package manifests by key, in this environment's own package bucket only.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/<${P}AthenaDatabase>/*]`,
        reason: "Athena reads the tables of the environment's own Quilt database (the bucket's packages view) with the caller's permissions; the table names are Quilt's, one per bucket.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::aws-athena-query-results-<AWS::AccountId>-<AWS::Region>/*]',
        reason: "Images up to 0.10.0 send their Athena queries' results to the account's default results bucket, under keys Athena names per query.",
      },
    );


    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: cpuParameter.valueAsNumber,
      memoryLimitMiB: memoryParameter.valueAsNumber,
      executionRole: this.executionRole,
      taskRole: this.taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // Every variable any supported image reads (the contract's union), so one task
    // definition serves every version from 0.7 to the latest.
    const values: Record<VariableValue, string> = {
      quiltStackArn: quiltStackArn.valueAsString,
      secretName: secretName.valueAsString,
      region: Aws.REGION,
      logLevel: logLevel.valueAsString,
      webhookVerification: webhookVerification.valueAsString,
      port: String(CONTAINER_PORT),
      quiltWebHost: quiltWebHost.valueAsString,
      athenaDatabase: athenaDatabase.valueAsString,
      athenaWorkgroup: athenaWorkgroup.valueAsString,
      packagerQueueUrl: packagerQueueUrl.valueAsString,
      appEnv: 'production',
      packageEventQueueUrl: this.packageEventQueue.queueUrl,
      packagingRequestQueueUrl: this.packagingRequestQueue.queueUrl,
    };
    const environmentVariables: Record<string, string> = { STAGE: environment };
    for (const v of CONTAINER_VARIABLES) environmentVariables[v.name] = values[v.value];
    const logging = ecs.LogDriver.awsLogs({ logGroup: this.logGroup, streamPrefix: 'webhook' });
    this.container = this.taskDefinition.addContainer('Webhook', {
      image: ecs.ContainerImage.fromRegistry(image),
      essential: true,
      user: CONTAINER_USER,
      // Hard limit: the task's memory; its reservation is set below.
      memoryLimitMiB: memoryParameter.valueAsNumber,
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      environment: environmentVariables,
      healthCheck: {
        command: ['CMD-SHELL', `curl -f http://localhost:${CONTAINER_PORT}${HEALTH_PATH} || exit 1`],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      logging,
    });
    // The queue consumers of images from 0.17: the same image with its own command,
    // essential as the older tool runs them. Present only when `<Env>Consumers` names
    // them (older images lack the modules, and an essential container that exits stops
    // the task), so they are written as conditional entries of the container list.
    const cfnTaskDefinition = this.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
    // What ECS adds up against the task's memory is each container's reservation (its
    // soft limit): the web container and the two consumers reserve together no more
    // than the smallest Fargate task (512 MiB). Set here, as aws-cdk-lib compares a
    // reservation with a hard limit that is a parameter (a token) and refuses it.
    cfnTaskDefinition.addPropertyOverride('ContainerDefinitions.0.MemoryReservation', WEBHOOK_RESERVATION_MIB);
    const environmentList = Object.entries(environmentVariables).map(([Name, Value]) => ({ Name, Value }));
    CONSUMERS.forEach((consumer, i) => {
      const runs = CONSUMER_SETS.filter((set) => set.split('+').includes(consumer.id));
      const condition = new CfnCondition(this, `Runs${consumer.containerName}`, {
        expression: runs.length === 1 ? Fn.conditionEquals(consumers.valueAsString, runs[0]) : Fn.conditionOr(...runs.map((set) => Fn.conditionEquals(consumers.valueAsString, set))),
      });
      condition.overrideLogicalId(`${title}Runs${consumer.containerName}`);
      const definition = {
        Name: consumer.containerName,
        Image: image,
        Essential: true,
        User: CONTAINER_USER,
        Memory: memoryParameter.valueAsNumber,
        MemoryReservation: CONSUMER_RESERVATION_MIB,
        Command: [...consumer.command],
        Environment: environmentList,
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: { 'awslogs-group': this.logGroup.logGroupName, 'awslogs-stream-prefix': consumer.id, 'awslogs-region': Aws.REGION },
        },
      };
      cfnTaskDefinition.addPropertyOverride(`ContainerDefinitions.${i + 1}`, Fn.conditionIf(condition.logicalId, definition, Aws.NO_VALUE));
    });
    acknowledge(this.taskDefinition, {
      id: 'AwsSolutions-ECS2',
      reason:
        "The environment variables hold no secret: the Quilt stack's ARN and outputs (catalog host, queue URL, database, workgroup), the secret's name (not its value), the queues' URLs, the stage, the log level, the port and the region, as the image's contract requires; the container reads the secret's value itself with its task role.",
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: shared.vpc,
      description: `${environment} webhook tasks: port ${CONTAINER_PORT} from inside the VPC only`,
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(ec2.Peer.ipv4(shared.vpcCidr), ec2.Port.tcp(CONTAINER_PORT), 'the internal load balancer and its health checks');

    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'TargetGroup', {
      vpc: shared.vpc,
      port: CONTAINER_PORT,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        path: HEALTH_PATH,
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    this.listener = new elbv2.NetworkListener(this, 'Listener', {
      loadBalancer: shared.loadBalancer,
      port: listenerPort,
      protocol: elbv2.Protocol.TCP,
      defaultTargetGroups: [this.targetGroup],
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: shared.cluster,
      taskDefinition: this.taskDefinition,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      // Those of RolloutAlarms below, named as the service is made (rolloutDeploymentAlarms says why).
      deploymentAlarms: rolloutDeploymentAlarms(Stack.of(this).stackName, environment),
    });
    this.service.attachToNetworkTargetGroup(this.targetGroup);
    // The target group must belong to a listener before a service registers in it.
    this.service.node.addDependency(this.listener);

    const scaling = this.service.autoScaleTaskCount({ minCapacity: minCapacity.valueAsNumber, maxCapacity: maxCapacity.valueAsNumber });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 70, scaleInCooldown: Duration.seconds(300), scaleOutCooldown: Duration.seconds(60) });

    this.stage = new apigw.Stage(this, 'Stage', {
      deployment: shared.deployment,
      stageName: this.stageName,
      description: `${environment}: routed to the ${environment} listener only`,
      variables: { [BACKEND_STAGE_VARIABLE]: Fn.join(':', [shared.loadBalancer.loadBalancerDnsName, String(listenerPort)]) },
      accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
      accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      loggingLevel: apigw.MethodLoggingLevel.ERROR,
      metricsEnabled: true,
      tracingEnabled: true,
    });
    this.stage.node.addDependency(shared.apiGatewayAccount);
    acknowledge(this.stage, {
      id: 'AwsSolutions-APIG3',
      reason:
        'A WAF web ACL costs a fixed monthly fee per environment for a low-volume webhook whose requests are signature-verified by the container; webhookAllowList restricts sources in the resource policy instead.',
    });

    this.rolloutAlarms = new RolloutAlarms(this, 'RolloutAlarms', {
      environment,
      apiName: shared.api.restApiName,
      stageName: this.stageName,
      targetGroup: this.targetGroup,
      loadBalancer: shared.loadBalancer,
      service: this.service,
    });

    this.endpoint = Fn.join('', ['https://', shared.api.restApiId, '.execute-api.', Aws.REGION, '.', Aws.URL_SUFFIX, '/', this.stageName]);
    const output = (suffix: Parameters<typeof outputName>[1], value: string, description: string) => {
      new CfnOutput(this, suffix, { value, description }).overrideLogicalId(outputName(environment, suffix));
    };
    output('Endpoint', this.endpoint, `${environment}: the webhook URL to give Benchling`);
    output('ServiceName', this.service.serviceName, `${environment}: ECS service`);
    output('TargetGroupArn', this.targetGroup.targetGroupArn, `${environment}: load balancer target group`);
    output('LogGroupName', this.logGroup.logGroupName, `${environment}: container logs`);
  }
}

function validate(
  where: string,
  props: EnvironmentRuntimeProps,
  derived: { cpu: number; memoryMiB: number; listenerPort: number },
): void {
  const check = new PropsCheck(where);
  check.expect(ENVIRONMENTS.includes(props.environment), 'environment', `one of ${ENVIRONMENTS.join(', ')}`, props.environment);
  check.expect(
    typeof props.quiltStackArn === 'string' && QUILT_STACK_ARN_RE.test(props.quiltStackArn) && QUILT_STACK_ARN_PARAMETER_RE.test(props.quiltStackArn),
    'quiltStackArn',
    'a CloudFormation stack ARN: arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID',
    props.quiltStackArn,
  );
  check.expect(typeof props.imageRepository === 'string' && imageRepositoryParts(props.imageRepository) !== undefined, 'imageRepository', 'an ECR repository URI: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME', props.imageRepository);
  check.expect(props.webhookVerification === undefined || typeof props.webhookVerification === 'boolean', 'webhookVerification', 'true or false', props.webhookVerification);
  check.expect(typeof props.imageTag === 'string' && isImageReference(props.imageTag), 'imageTag', 'a Docker tag or sha256:<64 hex>', props.imageTag);
  if (props.environment === 'prod') check.expect(props.imageTag !== 'latest', 'imageTag', 'a fixed version or digest for prod, not "latest"', props.imageTag);
  check.expect(typeof props.packageBucket === 'string' && new RegExp(BUCKET_PATTERN).test(props.packageBucket), 'packageBucket', 'an S3 bucket name (the profile\'s pkgBucket)', props.packageBucket);
  check.expect(props.quiltWebHost === undefined || HOST_RE.test(props.quiltWebHost), 'quiltWebHost', 'a host name', props.quiltWebHost);
  check.expect(props.packagerQueueUrl === undefined || SQS_URL_RE.test(props.packagerQueueUrl), 'packagerQueueUrl', 'an SQS queue URL', props.packagerQueueUrl);
  check.expect(props.athenaDatabase === undefined || GLUE_NAME_RE.test(props.athenaDatabase), 'athenaDatabase', 'a Glue database name', props.athenaDatabase);
  check.expect(props.athenaWorkgroup === undefined || WORKGROUP_RE.test(props.athenaWorkgroup), 'athenaWorkgroup', 'an Athena workgroup name', props.athenaWorkgroup);
  check.expect(typeof props.secretName === 'string' && SECRET_NAME_RE.test(props.secretName), 'secretName', 'a Secrets Manager secret name (letters, digits, /_+=.@-)', props.secretName);
  check.expect(isWholeNumber(props.minCapacity, 0, 1000), 'minCapacity', 'a whole number 0..1000', props.minCapacity);
  check.expect(isWholeNumber(props.maxCapacity, 1, 1000), 'maxCapacity', 'a whole number 1..1000', props.maxCapacity);
  if (isWholeNumber(props.minCapacity, 0, 1000) && isWholeNumber(props.maxCapacity, 1, 1000)) {
    check.expect(props.minCapacity <= props.maxCapacity, 'minCapacity', `at most maxCapacity (${props.maxCapacity})`, props.minCapacity);
  }
  check.expect((LOG_LEVELS as readonly string[]).includes(props.logLevel), 'logLevel', `one of ${LOG_LEVELS.join(', ')}`, props.logLevel);
  check.expect(isWholeNumber(derived.listenerPort, 1, 65535) && derived.listenerPort !== CONTAINER_PORT, 'listenerPort', `a TCP port 1..65535 other than ${CONTAINER_PORT}`, derived.listenerPort);
  check.expect(FARGATE_CPUS.includes(derived.cpu), 'cpu', `one of ${FARGATE_CPUS.join(', ')} (Fargate CPU units)`, derived.cpu);
  if (FARGATE_CPUS.includes(derived.cpu)) check.expect(isFargatePair(derived.cpu, derived.memoryMiB), 'memoryMiB', memoryChoices(derived.cpu), derived.memoryMiB);
  check.throwIfAny();
}
