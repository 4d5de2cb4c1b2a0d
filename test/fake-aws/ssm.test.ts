import { describe, expect, it } from 'vitest';
import {
  AccessDeniedException,
  DeleteParameterCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  paginateGetParameterHistory,
} from '@aws-sdk/client-ssm';
import { useFakeAws } from '../helpers/fake-aws.js';

const { fake } = useFakeAws();

const client = (maxAttempts = 1) => new SSMClient({ region: 'us-east-1', maxAttempts });
const NAME = '/benchling-webhook/BenchlingWebhookStack/dev/deployed';

describe('SSM Parameter Store through the real SDK client (JSON 1.1, AmazonSSM.*)', () => {
  it('PutParameter creates version 1; without Overwrite a second put is ParameterAlreadyExists; with it, version 2', async () => {
    const ssm = client();
    expect(await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'a', Type: 'String', Tier: 'Standard' }))).toMatchObject({ Version: 1, Tier: 'Standard' });
    const again = ssm.send(new PutParameterCommand({ Name: NAME, Value: 'b', Type: 'String' }));
    await expect(again).rejects.toBeInstanceOf(ParameterAlreadyExists);
    expect((await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'b', Type: 'String', Overwrite: true }))).Version).toBe(2);
    const got = await ssm.send(new GetParameterCommand({ Name: NAME }));
    expect(got.Parameter).toMatchObject({ Name: NAME, Value: 'b', Version: 2, ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${NAME}` });
    expect(got.Parameter!.LastModifiedDate).toBeInstanceOf(Date);
    expect(fake.calls.all.map((c) => c.operation)).toEqual(['PutParameter', 'PutParameter', 'PutParameter', 'GetParameter']);
  });

  it('GetParameter, GetParameterHistory and DeleteParameter of a missing name: ParameterNotFound; a deleted parameter is gone', async () => {
    const ssm = client();
    await expect(ssm.send(new GetParameterCommand({ Name: NAME }))).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(ssm.send(new GetParameterHistoryCommand({ Name: NAME }))).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(ssm.send(new DeleteParameterCommand({ Name: NAME }))).rejects.toBeInstanceOf(ParameterNotFound);
    await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'a', Type: 'String' }));
    await ssm.send(new DeleteParameterCommand({ Name: NAME }));
    await expect(ssm.send(new GetParameterCommand({ Name: NAME }))).rejects.toBeInstanceOf(ParameterNotFound);
    // Created again after a delete: version 1 again, and a put without overwrite is allowed.
    expect((await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'c', Type: 'String' }))).Version).toBe(1);
  });

  it('GetParameterHistory pages oldest first (50 a page at most) and keeps the newest 100 versions', async () => {
    const ssm = client();
    for (let i = 1; i <= 105; i += 1) await ssm.send(new PutParameterCommand({ Name: NAME, Value: `v${i}`, Type: 'String', Overwrite: true }));
    const first = await ssm.send(new GetParameterHistoryCommand({ Name: NAME, MaxResults: 50 }));
    expect(first.Parameters).toHaveLength(50);
    expect(first.Parameters![0]).toMatchObject({ Version: 6, Value: 'v6' });
    expect(first.NextToken).toBeTruthy();
    const all = [];
    for await (const page of paginateGetParameterHistory({ client: ssm, pageSize: 30 }, { Name: NAME })) all.push(...(page.Parameters ?? []));
    expect(all).toHaveLength(100);
    expect(all.map((p) => p.Version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 6));
    expect(all.at(-1)).toMatchObject({ Value: 'v105', LastModifiedUser: fake.scenario.identity.arn });
    await expect(ssm.send(new GetParameterHistoryCommand({ Name: NAME, MaxResults: 51 }))).rejects.toThrow(/less than or equal to 50/);
  });

  it('GetParameters answers the newest version of each name it has, the others in InvalidParameters; AccessDenied on one name refuses the whole call', async () => {
    const ssm = client();
    const PROD = NAME.replace('/dev/', '/prod/');
    await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'a', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'b', Type: 'String', Overwrite: true }));
    const got = await ssm.send(new GetParametersCommand({ Names: [NAME, PROD] }));
    expect(got.Parameters).toHaveLength(1);
    expect(got.Parameters![0]).toMatchObject({ Name: NAME, Value: 'b', Version: 2, ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${NAME}` });
    expect(got.Parameters![0].LastModifiedDate).toBeInstanceOf(Date);
    expect(got.InvalidParameters).toEqual([PROD]);
    await expect(ssm.send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/x/${i}`) }))).rejects.toThrow(/less than or equal to 10/);
    fake.inject({ kind: 'access-denied', service: 'ssm', operation: 'GetParameters', resourcePrefix: '/benchling-webhook/' });
    const denied = await ssm.send(new GetParametersCommand({ Names: ['/other/x', PROD] })).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect((denied as Error).message).toContain(`ssm:GetParameters on resource: arn:aws:ssm:us-east-1:123456789012:parameter${PROD}`);
    expect((await ssm.send(new GetParametersCommand({ Names: ['/other/x'] }))).InvalidParameters).toEqual(['/other/x']);
  });

  it('refuses a standard-tier value over 4 KB', async () => {
    await expect(client().send(new PutParameterCommand({ Name: NAME, Value: 'x'.repeat(4097), Type: 'String' }))).rejects.toThrow(/less than or equal to 4096/);
    await client().send(new PutParameterCommand({ Name: NAME, Value: 'x'.repeat(4096), Type: 'String' }));
  });

  it('AccessDenied per action and path, naming the action and the parameter ARN; other paths and actions still work', async () => {
    const ssm = client();
    fake.inject({ kind: 'access-denied', service: 'ssm', operation: 'PutParameter', resourcePrefix: '/benchling-webhook/' });
    const denied = await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'a', Type: 'String' })).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect((denied as Error).message).toContain(`ssm:PutParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter${NAME}`);
    await ssm.send(new PutParameterCommand({ Name: '/other/x', Value: 'a', Type: 'String' }));
    await expect(ssm.send(new GetParameterCommand({ Name: NAME }))).rejects.toBeInstanceOf(ParameterNotFound);
    expect(fake.scenario.ssm?.[NAME]).toBeUndefined();
  });

  it('throttling is retried by the client and absorbed', async () => {
    const fault = fake.inject({ kind: 'throttle', service: 'ssm', times: 2 });
    await client(5).send(new PutParameterCommand({ Name: NAME, Value: 'a', Type: 'String' }));
    expect(fault.hits).toBe(2);
    expect(fake.scenario.ssm?.[NAME].versions).toHaveLength(1);
    fake.inject({ kind: 'throttle', service: 'ssm', times: 1 });
    await expect(client(1).send(new GetParameterCommand({ Name: NAME }))).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
