/**
 * S3 (REST XML, path-style: `/{Bucket}` and `/{Bucket}/{Key}`) over
 * `scenario.s3`: exactly what the aws-cdk CLI calls to publish a template too
 * large to send inline (cdk-assets' file publishing, see
 * `cdk-large-template.test.ts`): GetBucketLocation (does the bucket exist, is
 * it ours), ListObjectsV2 with the object's key as prefix (is it uploaded
 * already), GetBucketEncryption (what to ask of the upload), PutObject. The
 * SDK addresses an IP endpoint path-style (no `bucket.127.0.0.1` host), so
 * the bucket is the first path segment. CloudFormation then reads the object
 * itself (`cfn/template-url.ts`).
 *
 * Objects are kept as UTF-8 text (templates); a checksum the upload sends
 * (`x-amz-checksum-sha256`, `Content-MD5`) is checked against the bytes
 * received, as S3 does.
 */
import { createHash } from 'node:crypto';
import { AwsServiceError, header, requireString, type RestXmlOutput, type ServiceDefinition } from '../protocols.js';
import type { FakeBucket, FakeObject, Scenario } from '../scenario.js';
import { token } from '../cfn/resource-types.js';

const BUCKET = /^\/(?<Bucket>[^/]+)\/?$/;
const OBJECT = /^\/(?<Bucket>[^/]+)\/(?<Key>.+)$/;
const PAGE = 1000;

/** The bucket, or S3's NoSuchBucket. */
export function findBucket(scenario: Scenario, name: string): FakeBucket {
  const bucket = scenario.s3?.[name];
  if (!bucket) throw new AwsServiceError('NoSuchBucket', 'The specified bucket does not exist', 404);
  return bucket;
}

/** `ExpectedBucketOwner` other than the bucket's account is refused as S3 does: 403 AccessDenied. */
function checkOwner(scenario: Scenario, input: Record<string, unknown>): void {
  const expected = input.ExpectedBucketOwner;
  if (typeof expected === 'string' && expected !== scenario.identity.account) throw new AwsServiceError('AccessDenied', 'Access Denied', 403);
}

/** The default encryption every bucket has: its own, else SSE-S3. */
function encryptionOf(bucket: FakeBucket): NonNullable<FakeBucket['encryption']> {
  return bucket.encryption ?? { algorithm: 'AES256' };
}

/** The KMS key S3 names for `aws:kms` without a key of one's own: the account's `aws/s3` key. */
const awsManagedS3Key = (scenario: Scenario, region: string): string => {
  const hex = token(`${scenario.identity.account}/${region}/aws/s3`, 32, '0123456789abcdef');
  return `arn:aws:kms:${region}:${scenario.identity.account}:key/${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export interface ObjectWrite {
  readonly contentType?: string;
  /** `x-amz-server-side-encryption` of the upload (default: the bucket's default encryption). */
  readonly serverSideEncryption?: string;
  readonly sseKmsKeyId?: string;
  /** Whether the upload sent a SHA-256 checksum (kept with the object, as S3 does). */
  readonly checksummed?: boolean;
}

/** Stores an object as PutObject does: its ETag (MD5), its encryption at rest (the upload's, else the bucket's default). */
export function writeObject(scenario: Scenario, bucketName: string, key: string, bytes: Buffer, write: ObjectWrite = {}): FakeObject {
  const bucket = findBucket(scenario, bucketName);
  const defaults = encryptionOf(bucket);
  const sse = write.serverSideEncryption ?? defaults.algorithm;
  const kmsKey = sse === 'AES256' ? undefined : (write.sseKmsKeyId ?? (write.serverSideEncryption ? undefined : defaults.kmsKeyId) ?? awsManagedS3Key(scenario, bucket.region));
  const object: FakeObject = {
    body: bytes.toString('utf8'),
    contentType: write.contentType ?? 'binary/octet-stream',
    lastModified: new Date().toISOString(),
    etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
    serverSideEncryption: sse,
  };
  if (kmsKey) object.sseKmsKeyId = kmsKey;
  if (write.checksummed) object.checksumSha256 = createHash('sha256').update(bytes).digest('base64');
  bucket.objects[key] = object;
  return object;
}

export const s3: ServiceDefinition<Scenario> = {
  signingName: 's3',
  protocol: 'rest-xml',
  routes: [
    { method: 'GET', path: BUCKET, query: 'location', operation: 'GetBucketLocation' },
    { method: 'GET', path: BUCKET, query: 'encryption', operation: 'GetBucketEncryption' },
    { method: 'GET', path: BUCKET, query: 'list-type', operation: 'ListObjectsV2' },
    { method: 'PUT', path: OBJECT, operation: 'PutObject' },
  ],
  httpMembers: {
    query: { prefix: 'Prefix', 'max-keys': 'MaxKeys', 'continuation-token': 'ContinuationToken', 'start-after': 'StartAfter', delimiter: 'Delimiter', 'list-type': 'ListType' },
    headers: {
      'content-type': 'ContentType',
      'content-length': 'ContentLength',
      'content-md5': 'ContentMD5',
      'x-amz-server-side-encryption': 'ServerSideEncryption',
      'x-amz-server-side-encryption-aws-kms-key-id': 'SSEKMSKeyId',
      'x-amz-checksum-sha256': 'ChecksumSHA256',
      'x-amz-sdk-checksum-algorithm': 'ChecksumAlgorithm',
      'x-amz-expected-bucket-owner': 'ExpectedBucketOwner',
    },
  },
  throttle: { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' },
  expired: { code: 'ExpiredToken', status: 400 },
  operations: {
    GetBucketLocation(input, scenario): RestXmlOutput {
      checkOwner(scenario, input);
      const bucket = findBucket(scenario, requireString(input, 'Bucket'));
      // us-east-1 is the empty LocationConstraint.
      return { root: 'LocationConstraint', body: bucket.region === 'us-east-1' ? '' : bucket.region };
    },
    GetBucketEncryption(input, scenario): RestXmlOutput {
      checkOwner(scenario, input);
      const encryption = encryptionOf(findBucket(scenario, requireString(input, 'Bucket')));
      return {
        root: 'ServerSideEncryptionConfiguration',
        body: { Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: encryption.algorithm, KMSMasterKeyID: encryption.kmsKeyId }, BucketKeyEnabled: encryption.bucketKeyEnabled === true } },
      };
    },
    ListObjectsV2(input, scenario): RestXmlOutput {
      checkOwner(scenario, input);
      const name = requireString(input, 'Bucket');
      const bucket = findBucket(scenario, name);
      if (input.Delimiter !== undefined) throw new AwsServiceError('NotImplemented', 'the fake AWS endpoint does not serve s3:ListObjectsV2 with a delimiter', 501);
      const prefix = typeof input.Prefix === 'string' ? input.Prefix : '';
      const maxKeys = input.MaxKeys === undefined ? PAGE : Number(input.MaxKeys);
      if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new AwsServiceError('InvalidArgument', 'Provided max-keys not an integer or within integer range');
      const token = typeof input.ContinuationToken === 'string' ? Buffer.from(input.ContinuationToken, 'base64').toString('utf8') : undefined;
      const after = token ?? (typeof input.StartAfter === 'string' ? input.StartAfter : '');
      // S3 lists keys in UTF-8 binary order.
      const keys = Object.keys(bucket.objects)
        .filter((k) => k.startsWith(prefix) && k > after)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const page = keys.slice(0, Math.min(maxKeys, PAGE));
      const truncated = keys.length > page.length;
      return {
        root: 'ListBucketResult',
        body: {
          Name: name,
          Prefix: prefix,
          ContinuationToken: input.ContinuationToken,
          StartAfter: input.StartAfter,
          KeyCount: page.length,
          MaxKeys: maxKeys,
          IsTruncated: truncated,
          NextContinuationToken: truncated ? Buffer.from(page[page.length - 1]).toString('base64') : undefined,
          Contents: page.map((key) => {
            const o = bucket.objects[key];
            return { Key: key, LastModified: o.lastModified, ETag: o.etag, ChecksumAlgorithm: o.checksumSha256 ? 'SHA256' : undefined, Size: Buffer.byteLength(o.body), StorageClass: 'STANDARD' };
          }),
        },
      };
    },
    PutObject(input, scenario, req): RestXmlOutput {
      checkOwner(scenario, input);
      const bucketName = requireString(input, 'Bucket');
      const bucket = findBucket(scenario, bucketName);
      const key = requireString(input, 'Key');
      // The SDK streams a body of unknown length as aws-chunked (checksum in a trailer); cdk 2.1148 sends a buffer. Loud, not misread.
      if ((header(req, 'content-encoding') ?? '').includes('aws-chunked')) throw new AwsServiceError('NotImplemented', 'the fake AWS endpoint does not serve s3:PutObject with an aws-chunked body', 501);
      const bytes = req.bytes ?? Buffer.from(req.body);
      if (typeof input.ContentMD5 === 'string' && input.ContentMD5 !== createHash('md5').update(bytes).digest('base64')) {
        throw new AwsServiceError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
      const sha256 = createHash('sha256').update(bytes).digest('base64');
      if (typeof input.ChecksumSHA256 === 'string' && input.ChecksumSHA256 !== sha256) {
        throw new AwsServiceError('BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
      }
      const requested = typeof input.ServerSideEncryption === 'string' ? input.ServerSideEncryption : undefined;
      if (requested && !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(requested)) {
        throw new AwsServiceError('InvalidArgument', 'The encryption method specified is not supported');
      }
      const object = writeObject(scenario, bucketName, key, bytes, {
        contentType: typeof input.ContentType === 'string' ? input.ContentType : undefined,
        serverSideEncryption: requested,
        sseKmsKeyId: typeof input.SSEKMSKeyId === 'string' ? input.SSEKMSKeyId : undefined,
        checksummed: typeof input.ChecksumSHA256 === 'string',
      });
      const headers: Record<string, string> = { etag: object.etag, 'x-amz-server-side-encryption': object.serverSideEncryption };
      if (object.sseKmsKeyId) headers['x-amz-server-side-encryption-aws-kms-key-id'] = object.sseKmsKeyId;
      if (object.serverSideEncryption !== 'AES256' && encryptionOf(bucket).bucketKeyEnabled) headers['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
      if (typeof input.ChecksumSHA256 === 'string') Object.assign(headers, { 'x-amz-checksum-sha256': sha256, 'x-amz-checksum-type': 'FULL_OBJECT' });
      return { headers };
    },
  },
};
