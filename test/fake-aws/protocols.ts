/**
 * Wire-protocol helpers of the fake AWS endpoint: how a request's input is
 * read and how a reply or an error is written in each of the protocols the
 * project's SDK clients (and the aws-cdk CLI's) speak: JSON 1.1, JSON 1.0
 * with Query-compatible errors (CloudWatch), REST JSON, Query/XML and REST XML (S3). Service files return plain objects and throw
 * {@link AwsServiceError}; this module turns both into bytes shaped as the
 * real services send them.
 */
import { randomUUID } from 'node:crypto';

export type Protocol = 'json' | 'rest-json' | 'query' | 'rest-xml';

/** What a handler gets: the operation's input and the request's details. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The body's bytes as received (what a checksum is computed over). */
  readonly bytes?: Buffer;
  /** Path parameters of a REST route (`/restapis/{restApiId}/stages`, `/{Bucket}/{Key+}`). */
  readonly params: Readonly<Record<string, string>>;
}

/** An error as the service itself would return it; rendered in the protocol's error shape. */
export class AwsServiceError extends Error {
  readonly code: string;
  readonly status: number;
  /** Query protocol only: `Sender` (the caller's fault) or `Receiver` (the service's). */
  readonly type: 'Sender' | 'Receiver';
  constructor(code: string, message: string, status = 400, type?: 'Sender' | 'Receiver') {
    super(message);
    this.name = 'AwsServiceError';
    this.code = code;
    this.status = status;
    this.type = type ?? (status >= 500 ? 'Receiver' : 'Sender');
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** A reply written over time (an event stream): `body` is ignored. */
  readonly stream?: StreamingOutput;
}

/** Where a streaming reply writes its bytes. */
export interface StreamSink {
  write(chunk: Uint8Array): void;
  end(): void;
  /** `fn` runs once when the reply ends, the client goes away or the fake closes. */
  onClose(fn: () => void): void;
}

/**
 * What an operation returns instead of a plain output when its reply is a
 * stream (CloudWatch Logs StartLiveTail): `start` writes to the sink over time.
 */
export class StreamingOutput {
  constructor(
    readonly contentType: string,
    readonly start: (sink: StreamSink) => void,
  ) {}
}

const requestId = (): string => randomUUID();

/**
 * How a JSON service writes its replies: the protocol version of its
 * content type (`1.1`: ECS, CloudWatch Logs, Secrets Manager; `1.0`:
 * CloudWatch), and, for a service that moved from Query to JSON with
 * `awsQueryCompatible` (CloudWatch), its errors' Query codes.
 */
export interface JsonFlavor {
  readonly version?: '1.0' | '1.1';
  /**
   * awsQueryCompatible: an error carries `x-amzn-query-error: <Query code>;<Sender|Receiver>`
   * (the code the Query protocol sent, which the SDK names the error by) and a
   * body whose `__type` is the JSON shape's id: this map's entry for the code,
   * else `<defaultNamespace>#<code>`.
   */
  readonly queryCompatible?: { readonly defaultNamespace: string; readonly types: Readonly<Record<string, string>> };
}

/** JSON 1.1 / 1.0 (ECS, CloudWatch Logs, Secrets Manager; CloudWatch): `X-Amz-Target: Prefix.Operation`, JSON in and out. */
export const json = {
  operation(req: FakeRequest, targetPrefix: string): string | undefined {
    const target = header(req, 'x-amz-target');
    if (!target || !target.startsWith(`${targetPrefix}.`)) return undefined;
    return target.slice(targetPrefix.length + 1);
  },
  input(req: FakeRequest): Record<string, unknown> {
    if (req.body.trim() === '') return {};
    const parsed: unknown = JSON.parse(req.body);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AwsServiceError('SerializationException', 'expected a JSON object');
    return parsed as Record<string, unknown>;
  },
  reply(output: unknown, flavor: JsonFlavor = {}): Reply {
    return { status: 200, headers: { 'content-type': `application/x-amz-json-${flavor.version ?? '1.1'}`, 'x-amzn-requestid': requestId() }, body: JSON.stringify(toJsonValue(output)) };
  },
  error(error: AwsServiceError, flavor: JsonFlavor = {}): Reply {
    const contentType = `application/x-amz-json-${flavor.version ?? '1.1'}`;
    const compat = flavor.queryCompatible;
    if (compat) {
      return {
        status: error.status,
        headers: { 'content-type': contentType, 'x-amzn-requestid': requestId(), 'x-amzn-query-error': `${error.code};${error.type}` },
        body: JSON.stringify({ __type: compat.types[error.code] ?? `${compat.defaultNamespace}#${error.code}`, message: error.message }),
      };
    }
    return {
      status: error.status,
      headers: { 'content-type': contentType, 'x-amzn-requestid': requestId(), 'x-amzn-errortype': error.code },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  },
};

/** REST JSON (API Gateway): the operation is the method and path; errors name their type in a header. */
export const restJson = {
  reply(output: unknown, status = 200): Reply {
    return { status, headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId() }, body: JSON.stringify(toJsonValue(output)) };
  },
  error(error: AwsServiceError): Reply {
    return {
      status: error.status,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId(), 'x-amzn-errortype': error.code },
      body: JSON.stringify({ message: error.message }),
    };
  },
};

/** Query (CloudFormation, ELBv2, STS): a form body with `Action`, an XML reply wrapped in `<OpResponse><OpResult>`. */
export const query = {
  operation(req: FakeRequest): string | undefined {
    return new URLSearchParams(req.body).get('Action') ?? undefined;
  },
  /** The form's fields, lists (`X.member.N`) and maps (`X.entry.N.key/value`) unflattened. */
  input(req: FakeRequest): Record<string, unknown> {
    return unflattenQuery(new URLSearchParams(req.body));
  },
  reply(operation: string, output: unknown, xmlNamespace: string): Reply {
    const body =
      `<${operation}Response xmlns="${xmlNamespace}">` +
      `<${operation}Result>${toXml(output)}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata>` +
      `</${operation}Response>`;
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() }, body };
  },
  error(error: AwsServiceError, xmlNamespace: string): Reply {
    const body =
      `<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`;
    return { status: error.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() }, body };
  },
};

/**
 * What a REST XML (S3) operation returns: the reply's headers and, unless it
 * has no body (PutObject, HeadObject), an XML document whose root element is
 * `root` and whose content is `body` (text, or an object written as elements:
 * an array member is repeated under its own name, as S3 flattens its lists).
 */
export interface RestXmlOutput {
  readonly headers?: Readonly<Record<string, string>>;
  readonly root?: string;
  readonly body?: string | Record<string, unknown>;
}

export const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** REST XML (S3): the operation is the method, path and query; XML out, errors as `<Error>` documents. */
export const restXml = {
  reply(output: RestXmlOutput, status = 200, method = 'GET'): Reply {
    const headers: Record<string, string> = { 'x-amz-request-id': requestId().replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': hostId(), ...output.headers };
    if (!output.root || method === 'HEAD') return { status, headers, body: '' };
    const content = typeof output.body === 'string' ? escapeXml(output.body) : toFlatXml(output.body ?? {});
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n` + (content === '' ? `<${output.root} xmlns="${S3_XML_NAMESPACE}"/>` : `<${output.root} xmlns="${S3_XML_NAMESPACE}">${content}</${output.root}>`);
    return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
  },
  /** S3's error document; a HEAD request's error has the status only (S3 sends no body to a HEAD). */
  error(error: AwsServiceError, method = 'GET'): Reply {
    const id = requestId().replace(/-/g, '').slice(0, 16).toUpperCase();
    const headers = { 'x-amz-request-id': id, 'x-amz-id-2': hostId() };
    if (method === 'HEAD') return { status: error.status, headers, body: '' };
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
      `<RequestId>${id}</RequestId><HostId>${headers['x-amz-id-2']}</HostId></Error>`;
    return { status: error.status, headers: { 'content-type': 'application/xml', ...headers }, body };
  },
};

const hostId = (): string => Buffer.from(randomUUID() + randomUUID()).toString('base64').slice(0, 76);

/** Objects become elements; an array repeats its element name (S3's flattened lists); dates ISO-8601 text. */
export function toFlatXml(value: Record<string, unknown>): string {
  const one = (name: string, v: unknown): string => {
    if (v === undefined || v === null) return '';
    if (Array.isArray(v)) return v.map((item) => one(name, item)).join('');
    if (v instanceof Date) return `<${name}>${v.toISOString()}</${name}>`;
    if (typeof v === 'object') return `<${name}>${toFlatXml(v as Record<string, unknown>)}</${name}>`;
    return `<${name}>${escapeXml(String(v))}</${name}>`;
  };
  return Object.entries(value)
    .map(([k, v]) => one(k, v))
    .join('');
}

export function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Dates become epoch seconds, as the JSON protocols send timestamps; undefined members are dropped. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value;
}

/** Objects become elements, arrays `<member>` lists, dates ISO-8601 text. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function unflattenQuery(form: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return collapseLists(root) as Record<string, unknown>;
}

/** `{ member: { 1: a, 2: b } }` -> `[a, b]`. */
function collapseLists(node: unknown): unknown {
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'member' && typeof obj.member === 'object') {
    const members = obj.member as Record<string, unknown>;
    return Object.keys(members)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => collapseLists(members[k]));
  }
  return Object.fromEntries(keys.map((k) => [k, collapseLists(obj[k])]));
}

/** One operation: the protocol's input in, a plain output object out; throws {@link AwsServiceError}. */
export type Operation<S> = (input: Record<string, unknown>, scenario: S, req: FakeRequest) => unknown;

/** A REST route: `path` has named groups that become {@link FakeRequest.params}. */
export interface RestRoute {
  readonly method: string;
  readonly path: RegExp;
  /**
   * A query parameter the request must carry (S3 names an operation on a
   * bucket by one: `?location`, `?encryption`, `?list-type=2`). Routes are
   * tried in order, so one with `query` goes before the same path without.
   */
  readonly query?: string;
  readonly operation: string;
  /** The status of a success (201 for creates). */
  readonly status?: number;
}

/** One service of the fake: how requests reach its operations, and the operations. */
export interface ServiceDefinition<S> {
  /** The SigV4 signing name in the credential scope (`ecs`, `elasticloadbalancing`, ...). */
  readonly signingName: string;
  readonly protocol: Protocol;
  /** JSON: the `X-Amz-Target` prefix, e.g. `AmazonEC2ContainerServiceV20141113`. */
  readonly targetPrefix?: string;
  /** JSON: the protocol version and Query compatibility (default: JSON 1.1, JSON errors). */
  readonly json?: JsonFlavor;
  /** Query: the XML namespace of replies and errors. */
  readonly xmlNamespace?: string;
  /** REST JSON and REST XML: the routes to operations. */
  readonly routes?: readonly RestRoute[];
  /**
   * REST XML: query parameters and headers read as input members
   * (`max-keys` -> `MaxKeys`, `x-amz-server-side-encryption` -> `ServerSideEncryption`);
   * the body, if any, is the member `Body`.
   */
  readonly httpMembers?: { readonly query?: Readonly<Record<string, string>>; readonly headers?: Readonly<Record<string, string>> };
  /** The error code and status this service throttles with. */
  readonly throttle: { readonly code: string; readonly status: number; readonly message: string };
  /** The error code and status of an expired security token. */
  readonly expired: { readonly code: string; readonly status: number };
  /**
   * The error code and status IAM's refusal takes (default: AccessDeniedException
   * 400 in JSON, AccessDenied 403 otherwise), and the IAM action prefix the
   * message names (default: the signing name).
   */
  readonly accessDenied?: { readonly code: string; readonly status: number; readonly iamPrefix?: string };
  readonly operations: Readonly<Record<string, Operation<S>>>;
}

/** Reads a required string member, as the service's validation would. */
export function requireString(input: Record<string, unknown>, name: string, code = 'ValidationException'): string {
  const v = input[name];
  if (typeof v !== 'string' || v === '') throw new AwsServiceError(code, `1 validation error detected: Value null at '${name[0].toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' ? v : undefined;
}

export function stringList(input: Record<string, unknown>, name: string): string[] {
  const v = input[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) return [String(v)];
  return v.map(String);
}
