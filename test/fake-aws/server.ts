/**
 * A local fake AWS endpoint that the real AWS SDK v3 clients talk to, for
 * tests (and benches) of everything in this project that calls AWS.
 *
 * ## Starting it
 *
 * In a test (same process):
 *
 *     import { startFakeAws } from './server.js';
 *     import { standardScenario } from './scenario.js';
 *     const fake = await startFakeAws(standardScenario());   // 127.0.0.1, random port
 *     process.env.AWS_ENDPOINT_URL = fake.url;              // or pass fake.env to a child process
 *     ...
 *     await fake.close();
 *
 * `fake.env` holds what an SDK client (or the built CLI run as a child
 * process) needs: `AWS_ENDPOINT_URL`, dummy `AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, no `AWS_PROFILE`, and the SDK's
 * Node-version warning off. A child process must be spawned asynchronously
 * (execa, `spawn`), never with `spawnSync`: the server runs on the test's own
 * event loop. The clients are the real ones with their default config; the
 * endpoint comes only from the environment, never from code in src/.
 *
 * As a separate process (the dashboard's terminal tests, manual runs):
 * `node test/fake-aws/serve.mjs [--scenario FILE.json] [--environments prod]`
 * bundles this folder with esbuild, starts the server and prints one JSON line
 * `{"url": "http://127.0.0.1:PORT", "env": {...}}` on stdout; it stops on
 * SIGTERM/SIGINT. Drive it with the control API below. A plain-node script
 * (a bench) can also `await loadFakeAws()` from serve.mjs to get this
 * module's exports in-process (see bench/status.mjs for bundling it together
 * with code from src/).
 *
 * ## Routing
 *
 * A request's service is the SigV4 credential scope's service name in its
 * `Authorization` header (`Credential=AKID/DATE/REGION/ecs/aws4_request`); its
 * operation is the `X-Amz-Target` header (JSON 1.1), the `Action` form field
 * (Query), the method and path (REST JSON), or the method, path and a query
 * parameter (REST XML: S3's `GET /bucket?location`). Served now, one file each
 * under `services/`:
 *
 * | service (signing name) | protocol | operations |
 * |---|---|---|
 * | cloudformation | Query/XML | DescribeStacks, DescribeStackEvents, CreateChangeSet, DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet, ListChangeSets, GetTemplate, DeleteStack, DescribeEvents, ListHookResults |
 * | ecs | JSON 1.1 | DescribeServices, ListTasks, DescribeTasks, ListServiceDeployments, DescribeServiceDeployments |
 * | elasticloadbalancing | Query/XML | DescribeTargetHealth |
 * | apigateway | REST JSON | GetStages, GetStage |
 * | sts | Query/XML | GetCallerIdentity |
 * | secretsmanager | JSON 1.1 | DescribeSecret, CreateSecret, GetSecretValue, PutSecretValue |
 * | ssm | JSON 1.1 (`AmazonSSM.*`) | PutParameter, GetParameter, GetParameterHistory, DeleteParameter (over `scenario.ssm`) |
 * | logs | JSON 1.1 | FilterLogEvents, StartLiveTail (event stream) |
 * | s3 | REST XML, path-style | GetBucketLocation, ListObjectsV2, GetBucketEncryption, PutObject |
 * | monitoring (CloudWatch) | JSON 1.0, awsQueryCompatible | GetMetricData over `scenario.metrics` (`seedEnvironmentMetrics` in `services/cloudwatch.ts`) |
 *
 * To add an operation, add a function to the service's `operations` (input
 * in, plain output object out, `throw new AwsServiceError(code, message,
 * status)` for a service error: the protocol helpers in `protocols.ts` write
 * both in the real wire shape). To add a service, write a
 * `ServiceDefinition` in `services/` and list it in {@link SERVICES}. An
 * operation the fake does not know is answered with the protocol's
 * unknown-operation error (`the fake AWS endpoint does not serve
 * cloudformation:X`; for S3 a 501 NotImplemented naming `GET /bucket?tagging`)
 * and logged in the call log with that `error`, so a missing piece fails
 * loudly and shows in `fake.calls`. An operation whose
 * reply is a stream returns a `StreamingOutput` (CloudWatch Logs
 * `StartLiveTail`, an AWS event stream: see `services/logs.ts`; its SDK client
 * needs `disableHostPrefix: true` against a local endpoint).
 *
 * ## The scenario
 *
 * `fake.scenario` is the mutable, typed world the fake serves (see
 * `scenario.ts`): `identity`, `stacks` by name (status, parameters, outputs,
 * events), `clusters` by name (services with deployments/counts/events, and
 * tasks with stop reasons and image digests), `targetGroups` by ARN,
 * `restApis` (stages) by id, `logGroups` by name, `secrets` by name, `s3`
 * (buckets by name, each with its region, default encryption and `objects`
 * by key: `scenario.s3[bucket].objects[key].body`), `ssm` (SSM parameters by
 * name, each with its versions oldest first), `identities` (callers by access
 * key id: two machines or a CI role signing with their own keys; STS and
 * SSM's LastModifiedUser answer with theirs).
 * `standardScenario()` builds the benchling-webhook stack of PRODUCT.md with
 * dev and prod healthy; `startRollout`, `completeRollout`, `crashTasks`,
 * `removeService` move one environment into other states. `emptyScenario()`
 * (`stacks.ts`) has nothing deployed: where `cdk deploy` creates the stack, or
 * `deployStack` seeds it (see CloudFormation below); `bootstrapAccount(scenario)`
 * adds what `cdk bootstrap` leaves (see S3 below). Change it between
 * calls; every request reads it afresh. Assigning `fake.scenario = other`
 * replaces it whole.
 *
 * ## CloudFormation (what the real aws-cdk CLI deploys, diffs and destroys against)
 *
 * `services/cloudformation.ts` is the wire; the engine is `cfn/` (template
 * language and parameter rules in `template.ts`, physical ids and replacement
 * per resource type in `resource-types.ts`, change sets and operations in
 * `stacks.ts`, the derived world in `world.ts`). What cdk 2.1148 calls:
 *
 * - `cdk deploy`, new stack: DescribeStacks (the stack, then `CDKToolkit` twice:
 *   "does not exist" is fine while the template is inline), CreateChangeSet
 *   (CREATE, the template inline as YAML `TemplateBody`, at most 51,200
 *   bytes: more is refused with the API's "Member must have length less than
 *   or equal to 51200"; over 50 KiB cdk uploads it to S3 first, see below),
 *   DescribeChangeSet, DescribeStacks, GetTemplate, DescribeChangeSet
 *   (IncludePropertyValues), ExecuteChangeSet, then DescribeStacks every 5 s
 *   until the status settles and DescribeStackEvents every 2 s meanwhile.
 *   Existing stack: DescribeStacks, GetTemplate, DeleteChangeSet +
 *   DescribeChangeSet (ChangeSetNotFound: the old one is gone), then the same
 *   with an UPDATE change set whose parameters not given are
 *   `UsePreviousValue`. A stack in ROLLBACK_COMPLETE is deleted first.
 * - `cdk diff`: DescribeStacks, GetTemplate, DeleteChangeSet, CreateChangeSet
 *   (parameters given only: the others take template defaults), DescribeChangeSet,
 *   DeleteChangeSet; for a new stack also DeleteStack of the REVIEW_IN_PROGRESS stack.
 * - `cdk destroy`: DescribeStacks, DeleteStack, DescribeStacks (5 s) + DescribeStackEvents (2 s).
 * - A FAILED change set: DescribeEvents and ListHookResults (both answer nothing).
 *
 * - A template over 50 KiB (`cdk deploy` into a bootstrapped account, see S3
 *   below): sts:GetCallerIdentity, DescribeStacks (the stack, `CDKToolkit`
 *   for its BucketName and BucketDomainName outputs, `CDKToolkit` again for
 *   BootstrapVersion: 21 or more, so no ExpectedBucketOwner),
 *   sts:GetCallerIdentity, s3:GetBucketLocation, s3:ListObjectsV2 (the key
 *   as prefix: uploaded already? then no upload), s3:GetBucketEncryption,
 *   s3:PutObject (the assembly's `.template.json` as key
 *   `cdk/<stack>/<sha256 of the YAML>.yml`, aws:kms, a SHA-256 checksum),
 *   then CreateChangeSet with `TemplateURL:
 *   https://<BucketDomainName>/<key>` and the rest as above. Not
 *   bootstrapped: cdk refuses before any of it. `cdk diff` sends the same
 *   TemplateURL without uploading (a legacy-synthesizer template is published
 *   only by a deploy): if no deploy uploaded that template, CreateChangeSet
 *   fails ("S3 error: The specified key does not exist.") and cdk falls back
 *   to a template diff.
 *
 * CreateChangeSet's `TemplateURL` is read from `scenario.s3`
 * (`cfn/template-url.ts`): `https://BUCKET.s3[.REGION].amazonaws.com/KEY`,
 * `https://s3[.REGION].amazonaws.com/BUCKET/KEY` (also `s3-REGION`,
 * dualstack), and path-style on the fake's own endpoint; a missing key or
 * bucket, or a region the bucket is not in, is the ValidationError
 * "S3 error: ...\nFor more information check ...", anything else "TemplateURL
 * must be a supported URL.".
 *
 * A change set's changes are computed: every resource's `Properties` (and
 * `Condition`) evaluated with the deployed template and parameters and with
 * the new ones; equal is no change; a `Ref` to a resource getting a new id or
 * a `Fn::GetAtt` of one being changed is `Dynamic`. Parameters: a value, or
 * `UsePreviousValue`, or the template `Default` when not sent at all (so a
 * caller that forgets `UsePreviousValue` resets that parameter, as with real
 * CloudFormation); constraints, `Rules` and a missing value are refused with
 * CloudFormation's ValidationError messages. Nothing to change: FAILED,
 * "The submitted information didn't contain changes. ..." (what cdk reads).
 * GetTemplate answers the template text as it was sent (YAML from cdk),
 * empty while REVIEW_IN_PROGRESS, `{}` for a stack written by hand.
 *
 * Executing (or deleting) plans the whole operation at once and plays it out
 * as steps `stepMs` apart: one step per dependency level starting, one
 * finishing, cleanup, each with its stack events (newest first, a
 * millisecond apart at least; a rollback has its own OperationId). Every
 * request first catches the operations up to now, and a timer does when the
 * next step is due. When an operation commits, the stack stores template,
 * parameters, resources and outputs, and the world is derived from them in
 * the shapes `standardScenario()` writes: a cluster per AWS::ECS::Cluster; a
 * service per AWS::ECS::Service (desired count: DesiredCount, else the min
 * capacity of its ScalableTarget, else 1) running tasks whose container
 * image is the evaluated image of its task definition and whose imageDigest
 * is `digestOf(tag)` (or the pinned `@sha256:` digest); a changed task
 * definition is a new, COMPLETED deployment with the old tasks stopped; a
 * healthy target per running task; a stage per AWS::ApiGateway::Stage; a log
 * group per AWS::Logs::LogGroup; a bucket per AWS::S3::Bucket (its default
 * encryption from BucketEncryption). What leaves the template leaves the world
 * unless its DeletionPolicy/UpdateReplacePolicy is Retain. A failed operation
 * (rolled back) leaves the world as it was.
 *
 * `scenario.cfn` (a `CfnSettings`, also settable with PUT /__fake/scenario):
 *
 * | setting | effect |
 * |---|---|
 * | `stepMs` (default 10) | ms between steps: this project's stack deploys in about 300 ms; `0` ends an operation within its call |
 * | `changeSetDelayMs` (default 0) | a new change set is CREATE_PENDING, then CREATE_IN_PROGRESS, for that long |
 * | `failResource: { logicalId, reason }` | that resource's create/update fails with `reason`; the stack rolls back (UPDATE_ROLLBACK_COMPLETE, or ROLLBACK_COMPLETE on a create) |
 * | `failChangeSet: { reason }` | change sets end FAILED with that StatusReason |
 * | `failDelete: { logicalId?, reason }` | DeleteStack: that resource DELETE_FAILED, the stack DELETE_FAILED |
 *
 * Starting from a deployed stack, without running cdk (`stacks.ts`):
 *
 *     import { deployStack, emptyScenario } from './stacks.js';
 *     const scenario = emptyScenario();
 *     deployStack(scenario, { stackName: 'BenchlingWebhookStack', template, parameters: { ProdImageTag: '0.7.0' } });
 *
 * `deployStack(scenario, { stackName, template, parameters?, at? })` runs
 * CreateChangeSet and ExecuteChangeSet through the same code as the API, to
 * the end at once (no injected failures or delays), and returns the stack; a
 * second call updates it, keeping parameters not given. `template` is the
 * object the project's synth writes (`synthesizeStack(...).template`, or
 * `synthProjectStack()` in `project-stack.ts`).
 *
 * ## S3 (what cdk publishes a template over 50 KiB to)
 *
 * `services/s3.ts`, over `scenario.s3`: exactly the four operations cdk-assets
 * calls to publish a file (GetBucketLocation, ListObjectsV2, GetBucketEncryption,
 * PutObject), path-style (the SDK never addresses `bucket.127.0.0.1`), with S3's
 * XML errors (NoSuchBucket 404; AccessDenied 403 for another
 * ExpectedBucketOwner; BadDigest for a body that does not match its
 * `x-amz-checksum-sha256` or `Content-MD5`). Objects are kept as UTF-8 text.
 *
 *     import { bootstrapAccount, emptyScenario, putObject } from './stacks.js';
 *     const scenario = emptyScenario();
 *     bootstrapAccount(scenario);   // CDKToolkit and its staging bucket
 *     putObject(scenario, 'cdk-hnb659fds-assets-123456789012-us-east-1', 'cdk/X/abc.yml', templateText);
 *
 * `bootstrapAccount(scenario, { parameters?, at? })` deploys (through
 * `deployStack`) the CDKToolkit stack from the aws-cdk CLI's own bootstrap
 * template with the parameters a plain `cdk bootstrap` passes: outputs
 * BucketName `cdk-hnb659fds-assets-ACCOUNT-REGION`, BucketDomainName
 * `BUCKET.s3.REGION.amazonaws.com`, BootstrapVersion, ImageRepositoryName,
 * FileAssetKeyArn; its bucket (aws:kms, the AWS-managed key) in `scenario.s3`.
 * `deployedScenario()` (test/helpers/deployed.ts) bootstraps unless given
 * `bootstrapped: false`.
 *
 * ## Faults
 *
 *     const fault = fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 3 });
 *     fault.hits;        // how many calls it has hit so far
 *     fault.remove();    // or fake.clearFaults()
 *
 * `access-denied` answers IAM's refusal (AccessDeniedException, or
 * AccessDenied 403 in Query/XML) naming the caller, the action and, for SSM,
 * the parameter's ARN; `resourcePrefix` narrows it to calls whose `Name`
 * (or one of GetParameters' `Names`) starts with it (`{ kind: 'access-denied', service: 'ssm', resourcePrefix:
 * '/benchling-webhook/' }`).
 * `kind`: `throttle` (the service's own throttling error: ThrottlingException,
 * Throttling, 429 TooManyRequestsException or S3's 503 SlowDown), `server-error` (500
 * InternalFailure), `slow` (answers normally after `delayMs`, default 2000),
 * `expired-credentials` (ExpiredTokenException / ExpiredToken, as the service
 * sends it), `access-denied` (IAM's refusal in the service's shape:
 * AccessDeniedException, or CloudWatch's `x-amzn-query-error: AccessDenied;Sender`),
 * `malformed` (200 with a truncated body). `service` (signing
 * name) and `operation` narrow which calls it hits (both optional: all
 * calls); `times` limits it to the next N matching calls (default: always).
 * Faults are tried in the order injected; the first that matches applies.
 *
 * ## Counting calls
 *
 * `fake.calls.count('DescribeServices')`, `fake.calls.count({ service: 'ecs' })`,
 * `fake.calls.count()` (all), `fake.calls.byOperation()` (`{'ecs:DescribeServices': 2}`),
 * `fake.calls.all` (each with service, operation, region, accessKeyId, input,
 * status, fault, time; `SecretString` redacted), `fake.calls.maxInFlight` (the most
 * requests ever open at once), `fake.calls.reset()`. Every call is counted,
 * faulted or not.
 *
 * ## Control API (for a fake in another process)
 *
 * `GET /__fake/calls` -> `{ calls, byOperation, maxInFlight }`; `DELETE /__fake/calls`;
 * `POST /__fake/faults` with a fault as JSON -> `{ id }`; `DELETE /__fake/faults`;
 * `GET /__fake/scenario`; `PUT /__fake/scenario` with a whole scenario as JSON
 * (`cfn` settings included).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  AwsServiceError,
  header,
  json,
  query,
  restJson,
  restXml,
  type FakeRequest,
  type RestXmlOutput,
  StreamingOutput,
  type Reply,
  type ServiceDefinition,
} from './protocols.js';
import { callerOf, standardScenario, type Scenario } from './scenario.js';
import { advanceStacks, nextStepAt } from './cfn/stacks.js';
import { apigateway } from './services/apigateway.js';
import { cloudformation } from './services/cloudformation.js';
import { cloudwatch } from './services/cloudwatch.js';
import { ecs } from './services/ecs.js';
import { elbv2 } from './services/elbv2.js';
import { logs } from './services/logs.js';
import { s3 } from './services/s3.js';
import { secretsmanager } from './services/secretsmanager.js';
import { sts } from './services/sts.js';
import { ssm } from './services/ssm.js';

/** Every service the fake serves, by SigV4 signing name. */
export const SERVICES: Readonly<Record<string, ServiceDefinition<Scenario>>> = Object.fromEntries(
  [cloudformation, ecs, elbv2, apigateway, sts, secretsmanager, logs, s3, cloudwatch, ssm].map((s) => [s.signingName, s]),
);

export type FaultKind = 'throttle' | 'server-error' | 'slow' | 'expired-credentials' | 'malformed' | 'access-denied';

export interface Fault {
  readonly kind: FaultKind;
  /** SigV4 signing name (`ecs`, `cloudformation`, ...); all services when absent. */
  readonly service?: string;
  /** Operation name (`DescribeServices`); all operations when absent. */
  readonly operation?: string;
  /** The next N matching calls; always when absent. */
  readonly times?: number;
  /** `slow` only: how long to wait before answering (default 2000 ms). */
  readonly delayMs?: number;
  /**
   * Only calls whose resource name (the input's `Name`: an SSM parameter)
   * starts with this; `access-denied` names the resource's ARN in its message.
   */
  readonly resourcePrefix?: string;
}

export interface FaultHandle {
  readonly id: number;
  /** Calls this fault has hit so far. */
  readonly hits: number;
  remove(): void;
}

export interface CallRecord {
  readonly seq: number;
  /** Epoch ms when the request arrived. */
  readonly at: number;
  readonly service: string;
  readonly operation: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  /** The operation's input as the fake read it; `SecretString` is redacted. */
  readonly input: unknown;
  status: number;
  fault?: FaultKind;
  /** A bug in the fake itself (an operation threw something other than AwsServiceError). */
  error?: string;
}

export interface CallFilter {
  readonly service?: string;
  readonly operation?: string;
}

/** Every call the fake received, faulted or not. */
export class CallLog {
  readonly all: CallRecord[] = [];
  /** The most requests ever open at the same time. */
  maxInFlight = 0;
  inFlight = 0;

  count(filter?: string | CallFilter): number {
    return this.matching(filter).length;
  }

  matching(filter?: string | CallFilter): CallRecord[] {
    const f: CallFilter = typeof filter === 'string' ? { operation: filter } : (filter ?? {});
    return this.all.filter((c) => (!f.service || c.service === f.service) && (!f.operation || c.operation === f.operation));
  }

  /** `{ 'ecs:DescribeServices': 2, ... }` */
  byOperation(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.all) out[`${c.service}:${c.operation}`] = (out[`${c.service}:${c.operation}`] ?? 0) + 1;
    return out;
  }

  reset(): void {
    this.all.length = 0;
    this.maxInFlight = this.inFlight;
  }
}

export interface FakeAws {
  /** `http://127.0.0.1:PORT`: the value for `AWS_ENDPOINT_URL`. */
  readonly url: string;
  /** Environment for an SDK client or a child process pointed at the fake. */
  readonly env: Readonly<Record<string, string>>;
  /** The world served; mutate it, or assign a new one. */
  scenario: Scenario;
  readonly calls: CallLog;
  inject(fault: Fault): FaultHandle;
  clearFaults(): void;
  close(): Promise<void>;
}

interface ActiveFault {
  readonly id: number;
  readonly spec: Fault;
  remaining: number;
  hits: number;
}

export const FAKE_ACCESS_KEY_ID = 'AKIAFAKEAWSTESTS0001';

/** Starts the fake on 127.0.0.1 at a random free port. */
export async function startFakeAws(scenario: Scenario = standardScenario(), options: { port?: number } = {}): Promise<FakeAws> {
  const calls = new CallLog();
  let faults: ActiveFault[] = [];
  let nextFaultId = 1;
  const timers = new Set<NodeJS.Timeout>();
  const state = { scenario };

  const inject = (spec: Fault): FaultHandle => {
    const active: ActiveFault = { id: nextFaultId++, spec, remaining: spec.times ?? Infinity, hits: 0 };
    faults.push(active);
    return {
      id: active.id,
      get hits() {
        return active.hits;
      },
      remove: () => {
        faults = faults.filter((f) => f !== active);
      },
    };
  };

  const takeFault = (service: string, operation: string, input: Record<string, unknown>): Fault | undefined => {
    for (const f of faults) {
      if (f.remaining <= 0) continue;
      if (f.spec.service && f.spec.service !== service) continue;
      if (f.spec.operation && f.spec.operation !== operation) continue;
      if (f.spec.resourcePrefix !== undefined && !resourceNames(input).some((n) => n.startsWith(f.spec.resourcePrefix!))) continue;
      f.remaining -= 1;
      f.hits += 1;
      return f.spec;
    }
    return undefined;
  };

  /**
   * Stack operations run as timed steps (cfn/stacks.ts): every request first
   * catches them up to now, and a timer catches them up when the next step is
   * due, so a test reading `fake.scenario` directly sees them move too.
   */
  let stepTimer: NodeJS.Timeout | undefined;
  const catchUp = (): void => {
    advanceStacks(state.scenario, Date.now());
    if (stepTimer) {
      clearTimeout(stepTimer);
      timers.delete(stepTimer);
      stepTimer = undefined;
    }
    const next = nextStepAt(state.scenario);
    if (next === undefined) return;
    stepTimer = setTimeout(catchUp, Math.max(0, next - Date.now()));
    stepTimer.unref();
    timers.add(stepTimer);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const bytes = await readBody(req);
    const body = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/__fake/')) {
      send(res, control(req.method ?? 'GET', url.pathname, body));
      return;
    }
    const scope = credentialScope(req.headers.authorization);
    if (!scope) {
      send(res, json.error(new AwsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403)));
      return;
    }
    const service = SERVICES[scope.service];
    if (!service) {
      send(res, json.error(new AwsServiceError('UnknownServiceException', `the fake AWS endpoint does not serve "${scope.service}" (see test/fake-aws/server.ts)`, 400)));
      return;
    }
    const fakeReq: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, bytes, params: {} };
    const routed = route(service, fakeReq);
    if (!routed) {
      // Logged too, so a caller's unserved operations can be read from the call log.
      const error = unknownOperation(service, fakeReq);
      calls.all.push({ seq: calls.all.length + 1, at: Date.now(), service: service.signingName, operation: requestedOperation(service, fakeReq), region: scope.region, accessKeyId: scope.accessKeyId, input: {}, status: error.status, error: error.message });
      send(res, errorReply(service, error, fakeReq.method));
      return;
    }
    const { operation, request } = routed;
    let input: Record<string, unknown> = {};
    let inputError: AwsServiceError | undefined;
    try {
      input = readInput(service, request);
    } catch (error) {
      inputError = error instanceof AwsServiceError ? error : new AwsServiceError('SerializationException', String(error));
    }
    const record: CallRecord = {
      seq: calls.all.length + 1,
      at: Date.now(),
      service: service.signingName,
      operation,
      region: scope.region,
      accessKeyId: scope.accessKeyId,
      input: redact(input),
      status: 0,
    };
    calls.all.push(record);
    const fault = takeFault(service.signingName, operation, input);
    if (fault) record.fault = fault.kind;
    let reply: Reply;
    if (fault && fault.kind !== 'slow') {
      reply = faultReply(service, operation, fault, request.method, { input, scenario: state.scenario, headers: request.headers });
    } else {
      if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 2000);
      catchUp();
      reply = runOperation(service, operation, input, inputError, request, state.scenario, record);
      catchUp();
    }
    record.status = reply.status;
    send(res, reply);
  };

  const control = (method: string, path: string, body: string): Reply => {
    const ok = (value: unknown, status = 200): Reply => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
    try {
      if (path === '/__fake/calls' && method === 'GET') return ok({ calls: calls.all, byOperation: calls.byOperation(), maxInFlight: calls.maxInFlight });
      if (path === '/__fake/calls' && method === 'DELETE') {
        calls.reset();
        return ok({});
      }
      if (path === '/__fake/faults' && method === 'POST') return ok({ id: inject(JSON.parse(body) as Fault).id }, 201);
      if (path === '/__fake/faults' && method === 'DELETE') {
        faults = [];
        return ok({});
      }
      if (path === '/__fake/scenario' && method === 'GET') {
        catchUp();
        return ok(state.scenario);
      }
      if (path === '/__fake/scenario' && method === 'PUT') {
        state.scenario = JSON.parse(body) as Scenario;
        catchUp();
        return ok({});
      }
    } catch (error) {
      return ok({ error: String(error) }, 400);
    }
    return ok({ error: `no control route ${method} ${path}` }, 404);
  };

  const server: Server = createServer((req, res) => {
    calls.inFlight += 1;
    calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
    res.on('close', () => {
      calls.inFlight -= 1;
    });
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, json.error(new AwsServiceError('InternalFailure', `fake AWS endpoint bug: ${String(error)}`, 500)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    env: {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: FAKE_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
      AWS_REGION: scenario.region,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    get scenario() {
      return state.scenario;
    },
    set scenario(next: Scenario) {
      state.scenario = next;
      catchUp();
    },
    calls,
    inject,
    clearFaults: () => {
      faults = [];
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecs/aws4_request, ...` */
function credentialScope(authorization: string | undefined): { accessKeyId: string; region: string; service: string } | undefined {
  const m = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return m ? { accessKeyId: m[1], region: m[3], service: m[4] } : undefined;
}

function route(service: ServiceDefinition<Scenario>, req: FakeRequest): { operation: string; request: FakeRequest } | undefined {
  if (service.protocol === 'json') {
    const op = json.operation(req, service.targetPrefix ?? '');
    return op && service.operations[op] ? { operation: op, request: req } : undefined;
  }
  if (service.protocol === 'query') {
    const op = query.operation(req);
    return op && service.operations[op] ? { operation: op, request: req } : undefined;
  }
  for (const r of service.routes ?? []) {
    const m = r.path.exec(req.path);
    if (m && r.method === req.method && (!r.query || req.query.has(r.query)) && service.operations[r.operation]) {
      const params = Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
      return { operation: r.operation, request: { ...req, params } };
    }
  }
  return undefined;
}

function readInput(service: ServiceDefinition<Scenario>, req: FakeRequest): Record<string, unknown> {
  if (service.protocol === 'json') return json.input(req);
  if (service.protocol === 'query') return query.input(req);
  if (service.protocol === 'rest-xml') return restXmlInput(service, req);
  const body = req.body.trim() === '' ? {} : (JSON.parse(req.body) as Record<string, unknown>);
  return { ...Object.fromEntries(req.query), ...body, ...req.params };
}

function runOperation(
  service: ServiceDefinition<Scenario>,
  operation: string,
  input: Record<string, unknown>,
  inputError: AwsServiceError | undefined,
  req: FakeRequest,
  scenario: Scenario,
  record: CallRecord,
): Reply {
  try {
    if (inputError) throw inputError;
    const output = service.operations[operation](input, scenario, req);
    if (output instanceof StreamingOutput) return { status: 200, headers: { 'content-type': output.contentType, 'x-amzn-requestid': randomUUID() }, body: '', stream: output };
    if (service.protocol === 'json') return json.reply(output, service.json);
    if (service.protocol === 'query') return query.reply(operation, output, service.xmlNamespace ?? '');
    const status = service.routes?.find((r) => r.operation === operation)?.status ?? 200;
    if (service.protocol === 'rest-xml') return restXml.reply(output as RestXmlOutput, status, req.method);
    return restJson.reply(output, status);
  } catch (error) {
    if (error instanceof AwsServiceError) return errorReply(service, error, req.method);
    record.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return errorReply(service, new AwsServiceError('InternalFailure', `fake AWS endpoint bug in ${service.signingName}:${operation}: ${String(error)}`, 500), req.method);
  }
}

function errorReply(service: ServiceDefinition<Scenario>, error: AwsServiceError, method: string): Reply {
  if (service.protocol === 'json') return json.error(error, service.json);
  if (service.protocol === 'query') return query.error(error, service.xmlNamespace ?? '');
  if (service.protocol === 'rest-xml') return restXml.error(error, method);
  return restJson.error(error);
}

/**
 * REST XML input: the path's members (`Bucket`, `Key`), the query parameters
 * and headers the service maps to members, and the body as `Body`.
 */
function restXmlInput(service: ServiceDefinition<Scenario>, req: FakeRequest): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const { query: queryMembers = {}, headers: headerMembers = {} } = service.httpMembers ?? {};
  for (const [name, value] of req.query) if (queryMembers[name]) input[queryMembers[name]] = value;
  for (const [name, member] of Object.entries(headerMembers)) {
    const value = header(req, name);
    if (value !== undefined) input[member] = value;
  }
  if (req.body !== '') input.Body = req.body;
  return { ...input, ...req.params };
}

/** The operation a request names, served or not. */
function requestedOperation(service: ServiceDefinition<Scenario>, req: FakeRequest): string {
  if (service.protocol === 'query') return query.operation(req) ?? '(no Action)';
  if (service.protocol === 'json') return json.operation(req, service.targetPrefix ?? '') ?? header(req, 'x-amz-target') ?? '(no X-Amz-Target)';
  return restTarget(req);
}

/** `GET /bucket?encryption`: a REST request's method, path and query parameter names. */
function restTarget(req: FakeRequest): string {
  const names = [...new Set(req.query.keys())];
  return `${req.method} ${req.path}${names.length > 0 ? `?${names.join('&')}` : ''}`;
}

function unknownOperation(service: ServiceDefinition<Scenario>, req: FakeRequest): AwsServiceError {
  if (service.protocol === 'query') return new AwsServiceError('InvalidAction', `the fake AWS endpoint does not serve ${service.signingName}:${query.operation(req) ?? '(no Action)'}`);
  if (service.protocol === 'json') return new AwsServiceError('UnknownOperationException', `the fake AWS endpoint does not serve ${service.signingName}:${header(req, 'x-amz-target') ?? '(no X-Amz-Target)'}`);
  if (service.protocol === 'rest-xml') return new AwsServiceError('NotImplemented', `the fake AWS endpoint does not serve ${service.signingName}: ${restTarget(req)}`, 501);
  return new AwsServiceError('UnknownOperationException', `the fake AWS endpoint does not serve ${service.signingName}: ${req.method} ${req.path}`, 404);
}

/** The SSM parameters a call names: its `Name`, or each of GetParameters' `Names`. */
function resourceNames(input: Record<string, unknown>): string[] {
  if (typeof input.Name === 'string') return [input.Name];
  return Array.isArray(input.Names) ? input.Names.filter((n): n is string => typeof n === 'string') : [];
}

function faultReply(service: ServiceDefinition<Scenario>, operation: string, fault: Fault, method: string, call: { input: Record<string, unknown>; scenario: Scenario; headers: FakeRequest['headers'] }): Reply {
  switch (fault.kind) {
    case 'throttle':
      return errorReply(service, new AwsServiceError(service.throttle.code, service.throttle.message, service.throttle.status), method);
    case 'server-error':
      return errorReply(service, new AwsServiceError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500), method);
    case 'expired-credentials':
      return errorReply(service, new AwsServiceError(service.expired.code, 'The security token included in the request is expired', service.expired.status), method);
    case 'access-denied': {
      // IAM's words, as every service sends them: who, which action, on which resource, in the service's error shape.
      const { scenario } = call;
      const denied =
        service.accessDenied ??
        (service.protocol === 'json' ? { code: 'AccessDeniedException', status: 400 } : service.protocol === 'rest-json' ? { code: 'AccessDeniedException', status: 403 } : { code: 'AccessDenied', status: 403 });
      const action = `${denied.iamPrefix ?? service.signingName}:${operation}`;
      // GetParameters is refused whole, naming a parameter the caller may not read.
      const names = resourceNames(call.input);
      const name = (fault.resourcePrefix !== undefined ? names.find((n) => n.startsWith(fault.resourcePrefix!)) : names[0]) ?? '';
      const resource = service.signingName === 'ssm' ? `arn:aws:ssm:${scenario.region}:${scenario.identity.account}:parameter${name.startsWith('/') ? '' : '/'}${name}` : '*';
      return errorReply(service, new AwsServiceError(denied.code, `User: ${callerOf(scenario, call.headers).arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`, denied.status, 'Sender'), method);
    }
    case 'malformed': {
      if (service.protocol === 'rest-xml') return { status: 200, headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0" encoding="UTF-8"?>\n<Broken' };
      const body = service.protocol === 'query' ? `<${operation}Response><${operation}Result><Broken` : '{"truncated": [{"reply": ';
      return { status: 200, headers: { 'content-type': service.protocol === 'query' ? 'text/xml' : `application/x-amz-json-${service.json?.version ?? '1.1'}` }, body };
    }
    case 'slow':
      throw new Error('slow is not a reply');
  }
}

function redact(input: Record<string, unknown>): Record<string, unknown> {
  if (!('SecretString' in input)) return input;
  return { ...input, SecretString: '<redacted>' };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  if (reply.stream) {
    res.writeHead(reply.status, reply.headers);
    const closers: (() => void)[] = [];
    res.once('close', () => closers.splice(0).forEach((fn) => fn()));
    reply.stream.start({
      write: (chunk) => void (res.destroyed || res.write(chunk)),
      end: () => res.end(),
      onClose: (fn) => (res.destroyed ? fn() : closers.push(fn)),
    });
    return;
  }
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
