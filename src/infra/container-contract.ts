/**
 * What the webhook image needs from the stack, per image version: the
 * variables it reads, the AWS actions it calls and on what, and the helper
 * processes newer images run beside the web server. Taken from the image's own
 * source, quiltdata/benchling-webhook, at every release tag from v0.7.2 to
 * v0.18.0 (its `docker/` code, its Dockerfile, and the CDK stack that deploys
 * it); each item names the tag, file and line it comes from.
 *
 * The stack serves every image from 0.7 to the latest with one task
 * definition per environment: each container gets the union of what those
 * versions read (a variable an image does not read does no harm), so promote
 * and rollback can move between versions without a template change. What
 * cannot be a union (the helper processes, which older images lack) is
 * chosen per image by the `<Env>Consumers` parameter ({@link consumersFor}).
 *
 * The oldest release tag is v0.7.2 (there is none for 0.7.0 or 0.7.1); items
 * of the 0.7 line start at 0.7.0 so that every 0.7 tag follows them.
 *
 * Kept free of aws-cdk-lib: the pre-flight and the tests read it too.
 */

/** Where an item was read: `tag:path:line` in quiltdata/benchling-webhook. */
export type Source = `v${string}:${string}`;

/** What the stack gives a variable, by name; the construct maps each to a template value. */
export type VariableValue =
  | 'quiltStackArn'
  | 'secretName'
  | 'region'
  | 'logLevel'
  | 'webhookVerification'
  | 'port'
  | 'quiltWebHost'
  | 'athenaDatabase'
  | 'athenaWorkgroup'
  | 'packagerQueueUrl'
  | 'appEnv'
  | 'packageEventQueueUrl'
  | 'packagingRequestQueueUrl';

export interface ContainerVariable {
  readonly name: string;
  readonly value: VariableValue;
  /** First and last release that reads it; `until` absent: the latest still does. */
  readonly from: string;
  readonly until?: string;
  /** Whether an image of that range fails (or, from 0.9.2, runs degraded) without it. */
  readonly required: boolean;
  readonly why: string;
  readonly sources: readonly Source[];
}

/**
 * Every variable a supported image reads that the stack sets. Not set, on
 * purpose: `ATHENA_RESULTS_BUCKET` (0.8.2–0.10.0; empty means the account's
 * default results bucket, which the task role may use), `QUILT_WRITE_ROLE_ARN`
 * (empty means the task role's own credentials, which is what least
 * privilege wants), `ICEBERG_*` (read, never used), `BENCHLING_TEST_MODE`.
 */
export const CONTAINER_VARIABLES: readonly ContainerVariable[] = [
  {
    name: 'QuiltStackARN', value: 'quiltStackArn', from: '0.7.0', required: true,
    why: '0.7 resolves the packager queue, database and catalog host from this stack at start-up; later images only show it on GET /config',
    sources: ['v0.7.10:docker/src/config.py:46', 'v0.7.10:docker/src/config_resolver.py:483', 'v0.18.0:docker/src/app.py:575'],
  },
  {
    name: 'BenchlingSecret', value: 'secretName', from: '0.7.0', required: true,
    why: 'the Secrets Manager secret with the Benchling credentials and package settings',
    sources: ['v0.7.10:docker/src/config.py:47', 'v0.18.0:docker/src/config.py:126'],
  },
  {
    name: 'AWS_REGION', value: 'region', from: '0.7.0', required: true,
    why: 'region of the Secrets Manager, SQS, S3 and Athena clients (0.7: Athena only)',
    sources: ['v0.7.10:docker/src/package_query.py:62', 'v0.18.0:docker/src/config.py:96'],
  },
  {
    name: 'LOG_LEVEL', value: 'logLevel', from: '0.7.0', required: false,
    why: 'Python logging level, set at import',
    sources: ['v0.7.10:docker/src/app.py:22', 'v0.18.0:docker/src/app.py:34'],
  },
  {
    name: 'ENABLE_WEBHOOK_VERIFICATION', value: 'webhookVerification', from: '0.8.2', required: false,
    why: '0.8–0.13: read, then overridden by the secret; 0.14+: false forces verification off',
    sources: ['v0.13.0:docker/src/config.py:101', 'v0.18.0:docker/src/config.py:117'],
  },
  {
    name: 'PORT', value: 'port', from: '0.7.0', required: false,
    why: 'the listen port; the images default to 5000 (to 0.8.8) or 8080 (from 0.8.9), so it is set to the port the target group checks',
    sources: ['v0.7.2:docker/src/app.py:628', 'v0.7.10:docker/src/app.py:612', 'v0.9.0:docker/Dockerfile:165', 'v0.18.0:docker/Dockerfile:184'],
  },
  {
    name: 'QUILT_WEB_HOST', value: 'quiltWebHost', from: '0.8.2', required: true,
    why: 'the Quilt catalog host, in links back to packages',
    sources: ['v0.8.2:docker/src/config.py:73', 'v0.18.0:docker/src/config.py:93'],
  },
  {
    name: 'ATHENA_USER_DATABASE', value: 'athenaDatabase', from: '0.8.2', required: true,
    why: "the Athena/Glue database holding the bucket's packages view",
    sources: ['v0.18.0:docker/src/config.py:94', 'v0.18.0:docker/src/package_query.py:214'],
  },
  {
    name: 'ATHENA_USER_WORKGROUP', value: 'athenaWorkgroup', from: '0.8.2', required: false,
    why: 'the Athena workgroup of its queries (default primary)',
    sources: ['v0.18.0:docker/src/config.py:104', 'v0.18.0:docker/src/package_query.py:98'],
  },
  {
    name: 'PACKAGER_SQS_URL', value: 'packagerQueueUrl', from: '0.8.2', required: true,
    why: "the Quilt stack's packager queue, where package-creation requests are sent",
    sources: ['v0.18.0:docker/src/config.py:95', 'v0.18.0:docker/src/entry_packager.py:845'],
  },
  {
    name: 'FLASK_ENV', value: 'appEnv', from: '0.7.0', until: '0.8.8', required: false,
    why: 'production: JSON logs and no debugger',
    sources: ['v0.7.10:docker/src/app.py:27', 'v0.7.10:docker/src/app.py:613'],
  },
  {
    name: 'APP_ENV', value: 'appEnv', from: '0.8.9', required: false,
    why: 'production: JSON logs',
    sources: ['v0.18.0:docker/src/app.py:39', 'v0.18.0:docker/src/config.py:113'],
  },
  {
    name: 'PACKAGE_EVENT_QUEUE_URL', value: 'packageEventQueueUrl', from: '0.17.0', required: false,
    why: "the environment's own package-event queue, drained by the sqs_consumer process to refresh canvases",
    sources: ['v0.18.0:docker/src/sqs_consumer.py:337', 'v0.18.0:lib/benchling-webhook-stack.ts:278'],
  },
  {
    name: 'PACKAGING_REQUEST_QUEUE_URL', value: 'packagingRequestQueueUrl', from: '0.17.2', required: true,
    why: "the environment's own FIFO packaging-request queue: the web process publishes (without it, webhooks get 503) and the packaging_consumer process drains it",
    sources: ['v0.18.0:docker/src/packaging_publisher.py:33', 'v0.18.0:docker/src/app.py:434', 'v0.18.0:lib/benchling-webhook-stack.ts:296'],
  },
];

/** What a task role statement is on; the construct maps each to this environment's ARNs. */
export type PermissionResource =
  | 'secret'
  | 'quiltStack'
  | 'packageBucket'
  | 'packageObjects'
  | 'packagerQueue'
  | 'glueCatalog'
  | 'athenaWorkgroup'
  | 'athenaResultsBucket'
  | 'athenaResultsObjects'
  | 'packageEventQueue'
  | 'packagingRequestQueue';

export interface TaskPermission {
  readonly actions: readonly string[];
  readonly on: PermissionResource;
  readonly from: string;
  readonly until?: string;
  readonly why: string;
  readonly sources: readonly Source[];
}

/**
 * Every AWS action a supported image calls, on its own environment's
 * resources only. Narrower than the older tool's role (v0.7.10
 * lib/fargate-service.ts:87-191, v0.18.0 :137-318): no delete, tagging or
 * bucket-notification actions on the bucket (no image calls them), and the
 * packager queue by its ARN rather than every queue of the account.
 */
export const TASK_PERMISSIONS: readonly TaskPermission[] = [
  {
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], on: 'secret', from: '0.7.0',
    why: 'reads its own secret',
    sources: ['v0.7.10:docker/src/config_resolver.py:289', 'v0.18.0:docker/src/secrets_manager.py:167'],
  },
  {
    actions: ['cloudformation:DescribeStacks'], on: 'quiltStack', from: '0.7.0', until: '0.7.10',
    why: "0.7 reads its Quilt stack's outputs at start-up",
    sources: ['v0.7.10:docker/src/config_resolver.py:247'],
  },
  {
    actions: ['s3:ListBucket', 's3:GetBucketLocation'], on: 'packageBucket', from: '0.7.0',
    why: "quilt3 and Athena list the package bucket while reading a package and the bucket's packages view",
    sources: ['v0.7.10:docker/src/package_files.py:128', 'v0.18.0:docker/src/package_query.py:214'],
  },
  {
    actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], on: 'packageObjects', from: '0.7.0',
    why: 'writes the exported entry and its metadata; reads package manifests (by version when pinned) and entry.json',
    sources: ['v0.7.10:docker/src/entry_packager.py:478', 'v0.18.0:docker/src/entry_packager.py:525', 'v0.18.0:docker/src/package_files.py:130', 'v0.18.0:docker/src/entry_packager.py:795'],
  },
  {
    actions: ['sqs:SendMessage'], on: 'packagerQueue', from: '0.7.0',
    why: "asks the Quilt packager to build the package",
    sources: ['v0.7.10:docker/src/entry_packager.py:710', 'v0.18.0:docker/src/entry_packager.py:845'],
  },
  {
    actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'], on: 'glueCatalog', from: '0.7.0',
    why: "Athena reads the database's table definitions with the caller's permissions",
    sources: ['v0.7.10:lib/fargate-service.ts:158', 'v0.18.0:lib/fargate-service.ts:219'],
  },
  {
    actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'], on: 'athenaWorkgroup', from: '0.7.0',
    why: 'queries the packages view in its workgroup',
    sources: ['v0.7.10:docker/src/package_query.py:106', 'v0.18.0:docker/src/package_query.py:131'],
  },
  {
    actions: ['s3:GetBucketLocation', 's3:ListBucket'], on: 'athenaResultsBucket', from: '0.7.0', until: '0.10.0',
    why: "to 0.10.0 the query results go to the account's default results bucket aws-athena-query-results-ACCOUNT-REGION; later images leave it to the workgroup",
    sources: ['v0.7.10:docker/src/package_query.py:71', 'v0.10.0:docker/src/package_query.py:110'],
  },
  {
    actions: ['s3:GetObject', 's3:PutObject'], on: 'athenaResultsObjects', from: '0.7.0', until: '0.10.0',
    why: 'Athena writes, and the container reads, query results there',
    sources: ['v0.7.10:docker/src/package_query.py:71', 'v0.10.0:docker/src/package_query.py:110'],
  },
  {
    actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], on: 'packageEventQueue', from: '0.17.0',
    why: 'the sqs_consumer process drains package-revision events',
    sources: ['v0.18.0:docker/src/sqs_consumer.py:111', 'v0.18.0:lib/fargate-service.ts:309'],
  },
  {
    actions: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], on: 'packagingRequestQueue', from: '0.17.2',
    why: 'the web process publishes packaging requests; the packaging_consumer process drains them',
    sources: ['v0.18.0:docker/src/packaging_publisher.py:63', 'v0.18.0:docker/src/packaging_consumer.py:104', 'v0.18.0:lib/fargate-service.ts:317'],
  },
];

/** The helper processes newer images run in the same task, each a container of the same image. */
export interface Consumer {
  readonly id: 'events' | 'packaging';
  readonly containerName: string;
  readonly command: readonly string[];
  readonly from: string;
  readonly sources: readonly Source[];
}

export const CONSUMERS: readonly Consumer[] = [
  { id: 'events', containerName: 'PackageEventConsumer', command: ['python', '-m', 'src.sqs_consumer'], from: '0.17.0', sources: ['v0.18.0:docker/src/sqs_consumer.py:337', 'v0.18.0:lib/fargate-service.ts:340'] },
  { id: 'packaging', containerName: 'PackagingConsumer', command: ['python', '-m', 'src.packaging_consumer'], from: '0.17.2', sources: ['v0.18.0:docker/src/packaging_consumer.py:117', 'v0.18.0:lib/fargate-service.ts:360'] },
];

/** Values of `<Env>Consumers`: which helper processes the environment's image runs. */
export const CONSUMER_SETS = ['none', 'events', 'events+packaging'] as const;
export type ConsumerSet = (typeof CONSUMER_SETS)[number];

/** The release every image from 0.7 to it is served; the contract for an image whose version is unknown. */
export const LATEST_RELEASE = '0.18.0';
export const OLDEST_RELEASE = '0.7.0';

/**
 * Releases the stack cannot serve, with why: their server ignores PORT and
 * binds 8080, or cannot start at all.
 */
export const UNSERVABLE: readonly { readonly from: string; readonly until: string; readonly why: string; readonly sources: readonly Source[] }[] = [
  { from: '0.9.1', until: '0.9.5', why: 'its server binds port 8080 whatever PORT says, and the stack checks and routes the port PORT names', sources: ['v0.9.5:docker/Dockerfile:178'] },
  { from: '0.9.6', until: '0.9.6', why: 'its start command is a shell syntax error: the container cannot start', sources: ['v0.9.6:docker/Dockerfile:182'] },
];

type Version = readonly [number, number, number];

/** `0.17.2`, `v0.17.2`, `0.17.2-rc1` -> [0, 17, 2]; undefined for anything else (latest, a digest, a branch tag). */
export function releaseOf(tag: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]*)?$/.exec(tag);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function version(text: string): Version {
  const v = releaseOf(text);
  if (!v) throw new Error(`not a release: ${text}`);
  return v;
}

/** Whether a release reads an item of range from..until. */
export function inRange(release: string, item: { readonly from: string; readonly until?: string }): boolean {
  const v = version(release);
  return compare(v, version(item.from)) >= 0 && (item.until === undefined || compare(v, version(item.until)) <= 0);
}

/**
 * The release whose contract an image tag follows: its own version when the
 * tag is one, else (latest, a digest, a custom tag) the latest release's,
 * with `assumed` set so the plan can say so.
 */
export function contractRelease(tag: string): { readonly release: string; readonly assumed: boolean } {
  const v = releaseOf(tag);
  if (!v) return { release: LATEST_RELEASE, assumed: true };
  if (compare(v, version(LATEST_RELEASE)) > 0) return { release: LATEST_RELEASE, assumed: true };
  return { release: v.join('.'), assumed: false };
}

/** Why a tag cannot be served, or undefined when it can (or its version is unknown). */
export function unservable(tag: string): string | undefined {
  const v = releaseOf(tag);
  if (!v) return undefined;
  if (compare(v, version(OLDEST_RELEASE)) < 0) return `images before ${OLDEST_RELEASE} are not supported (they predate the multi-environment contract)`;
  const hit = UNSERVABLE.find((u) => inRange(v.join('.'), u));
  return hit ? `${hit.why} (${hit.sources.join(', ')})` : undefined;
}

/**
 * The problem of a tag the stack cannot serve, in the words deploy and validate both say (`where`: the file and field,
 * or the flag, the tag came from; `why`: why that tag matters here); undefined when it can be served.
 */
export function unservableProblem(tag: string, where?: string, why?: string): string | undefined {
  const reason = unservable(tag);
  return reason ? `${where ? `${where}: ` : ''}image ${tag} cannot be served${why ? ` (${why})` : ''}: ${reason}` : undefined;
}

/** The helper processes an image runs, as the `<Env>Consumers` parameter value. */
export function consumersFor(tag: string): ConsumerSet {
  const { release } = contractRelease(tag);
  const ids = CONSUMERS.filter((c) => inRange(release, c)).map((c) => c.id);
  if (ids.length === 0) return 'none';
  return ids.length === 1 ? 'events' : 'events+packaging';
}

/** The variables an image of `release` reads. */
export function variablesRead(release: string): ContainerVariable[] {
  return CONTAINER_VARIABLES.filter((v) => inRange(release, v));
}

/** The permissions an image of `release` uses. */
export function permissionsUsed(release: string): TaskPermission[] {
  return TASK_PERMISSIONS.filter((p) => inRange(release, p));
}
