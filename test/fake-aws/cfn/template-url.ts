/**
 * CloudFormation reading a template from S3 (CreateChangeSet's TemplateURL):
 * the bucket and key the URL names, read from `scenario.s3`. What the aws-cdk
 * CLI sends for a template over 50 KiB is `https://` + the bootstrap stack's
 * `BucketDomainName` output + `/cdk/<stack>/<hash>.yml`
 * (`https://BUCKET.s3.REGION.amazonaws.com/KEY`); CloudFormation also takes
 * the path-style and legacy forms, and the fake takes a path-style URL on its
 * own endpoint (`http://127.0.0.1:PORT/BUCKET/KEY`: what cdk writes for a
 * DefaultStackSynthesizer template when AWS_ENDPOINT_URL is set).
 */
import { AwsServiceError } from '../protocols.js';
import type { Scenario } from '../scenario.js';

const MORE = 'For more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html';

/** CloudFormation passes S3's own message on, in this shape (as reported from real accounts; not measured here). */
const s3Error = (message: string) => new AwsServiceError('ValidationError', `S3 error: ${message}\n${MORE}`);

const REGION = '[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d';
/** `BUCKET.s3.amazonaws.com`, `BUCKET.s3.REGION.amazonaws.com`, `BUCKET.s3-REGION.amazonaws.com`, dualstack too. */
const VIRTUAL_HOSTED = new RegExp(`^(?<bucket>[a-z0-9][a-z0-9.-]*[a-z0-9])\\.s3(?:[.-]dualstack)?(?:[.-](?<region>${REGION}))?\\.amazonaws\\.com(?:\\.cn)?$`);
/** `s3.amazonaws.com`, `s3.REGION.amazonaws.com`, `s3-REGION.amazonaws.com`, dualstack too: the bucket is the path's first segment. */
const PATH_STYLE = new RegExp(`^s3(?:[.-]dualstack)?(?:[.-](?<region>${REGION}))?\\.amazonaws\\.com(?:\\.cn)?$`);
const FAKE_ENDPOINT = /^(?:127\.0\.0\.1|localhost)$/;

/** The bucket, key and (if the URL names one) region of an S3 object URL; undefined for a URL CloudFormation does not take. */
export function parseTemplateUrl(url: string): { bucket: string; key: string; region?: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  const path = parsed.pathname.replace(/^\//, '');
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));
  const host = VIRTUAL_HOSTED.exec(parsed.hostname);
  if (host?.groups) return { bucket: host.groups.bucket, key: decode(path), region: host.groups.region };
  const pathStyle = PATH_STYLE.exec(parsed.hostname);
  const slash = path.indexOf('/');
  if ((pathStyle || FAKE_ENDPOINT.test(parsed.hostname)) && slash > 0) {
    // The global path-style endpoint is us-east-1's.
    const region = pathStyle ? (pathStyle.groups?.region ?? 'us-east-1') : undefined;
    return { bucket: decode(path.slice(0, slash)), key: decode(path.slice(slash + 1)), region };
  }
  return undefined;
}

/**
 * The template text at `url`, as CloudFormation fetches it; its refusals are
 * CloudFormation's ValidationErrors: a URL that is not an S3 object URL, a
 * bucket that does not exist or lives in another region than the URL says,
 * a key that does not exist.
 */
export function templateFromUrl(scenario: Scenario, url: string): string {
  const where = parseTemplateUrl(url);
  if (!where) throw new AwsServiceError('ValidationError', 'TemplateURL must be a supported URL.');
  const bucket = scenario.s3?.[where.bucket];
  if (!bucket) throw s3Error('The specified bucket does not exist');
  if (where.region && where.region !== bucket.region) {
    throw s3Error('The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.');
  }
  const object = where.key === '' ? undefined : bucket.objects[where.key];
  if (!object) throw s3Error('The specified key does not exist.');
  return object.body;
}
