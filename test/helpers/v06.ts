/**
 * Files of the older single-environment tool (v0.6), shaped exactly as
 * PRODUCT.md section 3 lists them: every key of `default.json` (a flat object,
 * no `profile`, `enableWebhookVerification` a string) and every key of a
 * `deploy.json` section.
 */

/** The v0.6 client secret; tests assert it never reaches stdout or stderr. */
export const V06_SECRET = 'v06-CLIENT-secret-7c1d9e-never-shown';

export const V06_QUILT_ARN = 'arn:aws:cloudformation:us-east-1:123456789012:stack/quilt-prod/8f1e0a10-1111-2222-3333-444455556666';
export const V06_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:benchling-webhook/acme-AbC12z';
export const V06_STACK_ARN = 'arn:aws:cloudformation:us-east-1:123456789012:stack/BenchlingWebhookStack/0a1b2c3d-0000-1111-2222-333344445555';
export const V06_PROD_ENDPOINT = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod';
export const V06_DEV_ENDPOINT = 'https://def456.execute-api.us-east-1.amazonaws.com/dev';

/** Every key PRODUCT.md lists for the v0.6 `default.json`, in that order. */
export function v06DefaultJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const file: Record<string, unknown> = {
    quiltStackArn: V06_QUILT_ARN,
    quiltCatalog: 'quilt.acme.example.com',
    quiltUserBucket: 'acme-quilt-user',
    quiltDatabase: 'quilt_prod_db',
    quiltRegion: 'us-east-1',
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/quilt-prod-PackagerQueue-abc',
    benchlingTenant: 'acme',
    benchlingClientId: 'wqFfVOhbYe',
    benchlingClientSecret: V06_SECRET,
    benchlingAppDefinitionId: 'appdef_wqFfVOhbYe',
    benchlingPkgBucket: 'acme-benchling-packages',
    benchlingSecretArn: V06_SECRET_ARN,
    benchlingTestEntry: 'etr_12345678',
    cdkAccount: '123456789012',
    cdkRegion: 'us-east-1',
    awsProfile: 'acme-admin',
    pkgPrefix: 'benchling',
    pkgKey: 'experiment_id',
    logLevel: 'INFO',
    webhookAllowList: '203.0.113.0/24,198.51.100.7/32',
    enableWebhookVerification: 'true',
    createEcrRepository: 'false',
    ecrRepositoryName: 'quiltdata/benchling',
    // An image this stack serves (0.7.0 on): the layout is v0.6's, the image a later one. A v0.6 image
    // (0.6.3) is refused by migrate until --image-tag names one (test/cli/migrate.test.ts).
    imageTag: '0.7.0',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete file[k];
    else file[k] = v;
  }
  return file;
}

/** One v0.6 `deploy.json` section: every key PRODUCT.md lists. */
export function v06Section(endpoint: string, imageTag: string, at: string): Record<string, unknown> {
  return {
    webhookEndpoint: endpoint,
    webhookUrl: endpoint,
    stackArn: V06_STACK_ARN,
    deploymentTimestamp: at,
    deployedAt: at,
    imageTag,
  };
}

/** A v0.6 `deploy.json`: prod always, dev when asked. */
export function v06DeployJson(options: { dev?: boolean } = {}): Record<string, unknown> {
  return {
    ...(options.dev ? { dev: v06Section(V06_DEV_ENDPOINT, 'latest', '2025-05-20T09:30:00.000Z') } : {}),
    prod: v06Section(V06_PROD_ENDPOINT, '0.6.3', '2025-06-01T10:00:00.000Z'),
  };
}
