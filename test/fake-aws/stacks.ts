/**
 * What tests use to start from a deployed stack instead of a hand-written
 * one: {@link emptyScenario} (an account with nothing deployed),
 * {@link bootstrapAccount} (the account after `cdk bootstrap`: the CDKToolkit
 * stack and its staging bucket) and {@link deployStack} (a template and
 * parameters deployed through the fake's own CreateChangeSet/ExecuteChangeSet,
 * with the ECS/ELB/API Gateway/Logs/S3 world derived from it, as after a real
 * `cdk deploy`).
 *
 *     const scenario = emptyScenario();
 *     bootstrapAccount(scenario);   // else cdk refuses a template over 50 KiB
 *     deployStack(scenario, { stackName: 'BenchlingWebhookStack', template, parameters: { ProdImageTag: '0.7.0' } });
 *     const fake = await startFakeAws(scenario);
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deployStack } from './cfn/stacks.js';
import { parseTemplateBody, type Template } from './cfn/template.js';
import type { FakeObject, FakeStack, Scenario } from './scenario.js';
import { writeObject } from './services/s3.js';

export { deployStack, DEFAULT_STEP_MS, KNOWN_AFTER_APPLY, NO_CHANGES_REASON, type DeployStackOptions } from './cfn/stacks.js';
export { imageDigestOf } from './cfn/world.js';
export { parseTemplateUrl } from './cfn/template-url.js';
export { TEMPLATE_BODY_MAX_BYTES } from './services/cloudformation.js';

export interface EmptyOptions {
  readonly region?: string;
  readonly account?: string;
}

/** An account and region with no stack, cluster, API, log group or secret: where `cdk deploy` creates the stack. */
export function emptyScenario(options: EmptyOptions = {}): Scenario {
  const account = options.account ?? '123456789012';
  return {
    identity: { account, arn: `arn:aws:sts::${account}:assumed-role/Admin/operator`, userId: 'AROAEXAMPLE:operator' },
    region: options.region ?? 'us-east-1',
    stacks: {},
    clusters: {},
    targetGroups: {},
    restApis: {},
    logGroups: {},
    secrets: {},
  };
}

/** The bootstrap stack's name, where the aws-cdk CLI looks for it (no `--toolkit-stack-name`). */
export const BOOTSTRAP_STACK = 'CDKToolkit';

/**
 * The parameters a plain `cdk bootstrap` (cdk 2.1148, no options) passes for a
 * new bootstrap stack; the others take the template's defaults (qualifier
 * `hnb659fds`). `AWS_MANAGED_KEY`: the staging bucket is encrypted with the
 * account's AWS-managed S3 key, no key of its own.
 */
export const CDK_BOOTSTRAP_PARAMETERS: Readonly<Record<string, string>> = {
  FileAssetsBucketKmsKeyId: 'AWS_MANAGED_KEY',
  TrustedAccounts: '',
  TrustedAccountsForLookup: '',
  CloudFormationExecutionPolicies: '',
  PublicAccessBlockConfiguration: 'true',
};

let bootstrapTemplate: Template | undefined;

/** The bootstrap template of the aws-cdk CLI the project runs (the package exports it), parsed once. */
export function cdkBootstrapTemplate(): Template {
  if (!bootstrapTemplate) {
    const path = createRequire(import.meta.url).resolve('aws-cdk/lib/api/bootstrap/bootstrap-template.yaml');
    bootstrapTemplate = parseTemplateBody(readFileSync(path, 'utf8'));
  }
  return bootstrapTemplate;
}

export interface BootstrapOptions {
  /** Bootstrap parameters over {@link CDK_BOOTSTRAP_PARAMETERS} (`{ Qualifier: 'other' }`, `{ FileAssetsBucketName: 'my-assets' }`). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** When the bootstrap finished (default: a day ago). */
  readonly at?: Date;
}

/**
 * Bootstraps the scenario's account and region as `cdk bootstrap` does: the
 * CDKToolkit stack deployed (through {@link deployStack}) from the aws-cdk
 * CLI's own bootstrap template with the parameters `cdk bootstrap` passes, so
 * its staging bucket (`cdk-hnb659fds-assets-ACCOUNT-REGION`, aws:kms) is in
 * `scenario.s3`. cdk reads its outputs `BucketName`, `BucketDomainName` (the
 * TemplateURL's host: `BUCKET.s3.REGION.amazonaws.com`) and `BootstrapVersion`
 * to upload a template over 50 KiB there. Returns the stack.
 */
export function bootstrapAccount(scenario: Scenario, options: BootstrapOptions = {}): FakeStack {
  return deployStack(scenario, {
    stackName: BOOTSTRAP_STACK,
    template: cdkBootstrapTemplate(),
    parameters: { ...CDK_BOOTSTRAP_PARAMETERS, ...options.parameters },
    at: options.at ?? new Date(Date.now() - 86_400_000),
  });
}

/**
 * Puts an object into a bucket of the scenario (one that exists: the
 * bootstrap bucket, or a stack's AWS::S3::Bucket) as a PutObject would, e.g.
 * a template for a TemplateURL. Throws S3's NoSuchBucket for another bucket.
 */
export function putObject(scenario: Scenario, bucket: string, key: string, body: string, options: { contentType?: string } = {}): FakeObject {
  return writeObject(scenario, bucket, key, Buffer.from(body), options);
}
