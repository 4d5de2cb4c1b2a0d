import type { ProfileFile } from '../../src/config/schema.js';
import { FARGATE_CPUS } from '../../src/config/task-size.js';

/** `setup-profile` flags and the profile field each one sets. */
export const SETUP_FLAGS = [
  { flag: 'tenant', field: 'benchlingTenant', help: 'Benchling tenant (the part before .benchling.com)' },
  { flag: 'app-definition-id', field: 'benchlingAppDefinitionId', help: 'Benchling app definition id' },
  { flag: 'client-id', field: 'benchlingClientId', help: 'Benchling OAuth client id' },
  { flag: 'quilt-stack-arn', field: 'quiltStackArn', help: 'ARN of the Quilt stack this environment talks to' },
  { flag: 'image-tag', field: 'imageTag', help: 'image tag or sha256:<digest> (prod: a fixed version)' },
  { flag: 'environment', field: 'environment', help: 'dev or prod' },
  { flag: 'image-repository', field: 'imageRepository', help: 'ECR repository URI' },
  { flag: 'stack-name', field: 'stackName', help: 'CloudFormation stack name' },
  { flag: 'stack-region', field: 'region', help: 'region of the webhook stack' },
  { flag: 'account', field: 'account', help: 'AWS account of the webhook stack' },
  { flag: 'secret-name', field: 'benchlingSecret', help: 'Secrets Manager secret name' },
  { flag: 'profile-aws', field: 'awsProfile', help: 'AWS credentials profile to use with this profile' },
  { flag: 'allow-list', field: 'webhookAllowList', help: 'comma-separated IPv4 CIDRs allowed to call the API' },
  { flag: 'min-capacity', field: 'minCapacity', help: 'minimum number of tasks', number: true },
  { flag: 'max-capacity', field: 'maxCapacity', help: 'maximum number of tasks', number: true },
  { flag: 'cpu', field: 'cpu', help: `Fargate CPU units of one task: ${FARGATE_CPUS.join(', ')} (1024 = 1 vCPU)`, number: true },
  { flag: 'memory', field: 'memory', help: 'memory of one task in MiB, a size Fargate allows for the CPU (256: 512-2048; 512: 1024-4096; ...)', number: true },
  { flag: 'nat-gateways', field: 'natGateways', help: 'prod profile only: NAT gateways of the shared VPC, 1 or 2', number: true },
  { flag: 'log-level', field: 'logLevel', help: 'DEBUG, INFO, WARNING or ERROR' },
  { flag: 'pkg-bucket', field: 'pkgBucket', help: 'S3 bucket packages are written to' },
  { flag: 'pkg-key', field: 'pkgKey', help: 'package metadata key' },
  { flag: 'pkg-prefix', field: 'pkgPrefix', help: 'package name prefix' },
  { flag: 'quilt-web-host', field: 'quiltWebHost', help: 'Quilt catalog host (default: the Quilt stack\'s QuiltWebHost output, read at deploy)' },
  { flag: 'packager-queue-url', field: 'packagerQueueUrl', help: 'Quilt packager SQS queue URL (default: the Quilt stack\'s PackagerQueueUrl output)' },
  { flag: 'athena-database', field: 'athenaUserDatabase', help: 'Athena/Glue database of the Quilt packages (default: the Quilt stack\'s UserAthenaDatabaseName output)' },
  { flag: 'athena-workgroup', field: 'athenaUserWorkgroup', help: 'Athena workgroup (default: the Quilt stack\'s UserAthenaWorkgroupName output, else primary)' },
] as const satisfies readonly { flag: string; field: keyof ProfileFile; help: string; number?: boolean }[];
