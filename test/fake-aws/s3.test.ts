/**
 * The fake's S3 on the wire (REST XML, path-style), operation by operation.
 * The project has no S3 client of its own: these requests are written by
 * hand (the fake reads the SigV4 credential scope, it checks no signature),
 * and the real aws-cdk CLI's use of the same operations, through its bundled
 * SDK, is tested in cdk-large-template.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FAKE_ACCESS_KEY_ID } from './server.js';
import { bootstrapAccount, emptyScenario, putObject } from './stacks.js';
import type { Scenario } from './scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const BUCKET = 'cdk-hnb659fds-assets-123456789012-us-east-1';

/** A bootstrapped account (the staging bucket, aws:kms) and a hand-written bucket in eu-west-1 with S3's default encryption. */
function world(): Scenario {
  const scenario = emptyScenario();
  bootstrapAccount(scenario);
  scenario.s3!['acme-eu'] = { region: 'eu-west-1', creationDate: '2026-01-01T00:00:00.000Z', objects: {} };
  return scenario;
}

// Requests written by hand: the environment is not theirs to read.
const { fake } = useFakeAws({ scenario: world, processEnv: false });

/** A request as the SDK sends it to an IP endpoint: path-style, the credential scope naming s3. */
async function s3(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    body: init.body,
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=${FAKE_ACCESS_KEY_ID}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`, ...init.headers },
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

describe('S3, as cdk-assets publishes a file', () => {
  it('GetBucketLocation: empty for us-east-1, the region elsewhere, NoSuchBucket (404) for a bucket that does not exist', async () => {
    expect((await s3('GET', `/${BUCKET}?location`)).body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
    expect((await s3('GET', '/acme-eu?location')).body).toContain('>eu-west-1</LocationConstraint>');
    const missing = await s3('GET', '/nobody-s-bucket?location');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message>/);
    // ExpectedBucketOwner (what cdk sends for a bootstrap stack older than version 21): our account passes, another is AccessDenied.
    expect((await s3('GET', `/${BUCKET}?location`, { headers: { 'x-amz-expected-bucket-owner': '123456789012' } })).status).toBe(200);
    expect(await s3('GET', `/${BUCKET}?location`, { headers: { 'x-amz-expected-bucket-owner': '210987654321' } })).toMatchObject({ status: 403, body: expect.stringContaining('<Code>AccessDenied</Code>') });
  });

  it('GetBucketEncryption: the bootstrap bucket is aws:kms with the AWS-managed key (no key id), a bucket with no setting of its own AES256', async () => {
    const kms = await s3('GET', `/${BUCKET}?encryption`);
    expect(kms.body).toContain('<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>');
    expect((await s3('GET', '/acme-eu?encryption')).body).toContain('<SSEAlgorithm>AES256</SSEAlgorithm>');
  });

  it('PutObject stores the bytes when the checksum sent matches them, and refuses them (BadDigest, nothing stored) when it does not', async () => {
    const body = 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n';
    const bad = await s3('PUT', `/${BUCKET}/cdk/Stack/abc.yml`, { body, headers: { 'x-amz-checksum-sha256': sha256(`${body} `), 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<Code>BadDigest</Code>');
    expect(fake.scenario.s3![BUCKET].objects).toEqual({});

    const put = await s3('PUT', `/${BUCKET}/cdk/Stack/abc.yml`, { body, headers: { 'x-amz-checksum-sha256': sha256(body), 'content-type': 'application/json', 'x-amz-server-side-encryption': 'aws:kms' } });
    expect(put.status).toBe(200);
    expect(put.body).toBe('');
    expect(put.headers.get('etag')).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.headers.get('x-amz-server-side-encryption')).toBe('aws:kms');
    expect(put.headers.get('x-amz-server-side-encryption-aws-kms-key-id')).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]{36}$/);
    expect(fake.scenario.s3![BUCKET].objects['cdk/Stack/abc.yml']).toMatchObject({ body, contentType: 'application/json', serverSideEncryption: 'aws:kms', checksumSha256: sha256(body) });
    expect((await s3('PUT', '/nobody-s-bucket/key', { body })).status).toBe(404);
  });

  it('ListObjectsV2 lists the keys under a prefix in order, at most max-keys a page, with a token for the next', async () => {
    for (const key of ['cdk/B/2.yml', 'cdk/A/1.yml', 'cdk/B/1.yml', 'other/1.yml']) putObject(fake.scenario, BUCKET, key, `body of ${key}`);
    const keys = (xml: string) => [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
    const first = await s3('GET', `/${BUCKET}?list-type=2&prefix=cdk%2FB%2F&max-keys=1`);
    expect(keys(first.body)).toEqual(['cdk/B/1.yml']);
    expect(first.body).toContain('<KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated>');
    expect(first.body).toContain(`<Contents><Key>cdk/B/1.yml</Key><LastModified>${fake.scenario.s3![BUCKET].objects['cdk/B/1.yml'].lastModified}</LastModified><ETag>&quot;`);
    expect(first.body).toContain(`<Size>${'body of cdk/B/1.yml'.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    const token = /<NextContinuationToken>([^<]+)</.exec(first.body)![1];
    const second = await s3('GET', `/${BUCKET}?list-type=2&prefix=cdk%2FB%2F&max-keys=1&continuation-token=${encodeURIComponent(token)}`);
    expect(keys(second.body)).toEqual(['cdk/B/2.yml']);
    expect(second.body).toContain('<IsTruncated>false</IsTruncated>');
    // The exact key as prefix (cdk's "is it uploaded already"), and a key that is not there.
    expect(keys((await s3('GET', `/${BUCKET}?list-type=2&prefix=cdk%2FA%2F1.yml&max-keys=1`)).body)).toEqual(['cdk/A/1.yml']);
    expect((await s3('GET', `/${BUCKET}?list-type=2&prefix=cdk%2FA%2F2.yml&max-keys=1`)).body).toContain('<KeyCount>0</KeyCount>');
  });

  it('answers an operation it does not serve with 501 NotImplemented, logged under its method, path and query; faults in S3 shapes', async () => {
    const tagging = await s3('GET', `/${BUCKET}?tagging`);
    expect(tagging.status).toBe(501);
    expect(tagging.body).toContain(`the fake AWS endpoint does not serve s3: GET /${BUCKET}?tagging`);
    expect(fake.calls.all.at(-1)).toMatchObject({ service: 's3', operation: `GET /${BUCKET}?tagging`, status: 501 });
    fake.inject({ kind: 'throttle', service: 's3', times: 1 });
    expect(await s3('GET', `/${BUCKET}?location`)).toMatchObject({ status: 503, body: expect.stringContaining('<Code>SlowDown</Code>') });
    expect((await s3('GET', `/${BUCKET}?location`)).status).toBe(200);
  });
});
