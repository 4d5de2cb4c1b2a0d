/**
 * The logger our SDK clients get (src/state/aws-profile.ts: sdkLogger), against the fake AWS with
 * the real SDK: the SDK builds no log entry of a call (its request and answer walked through their
 * schemas), on success or failure, and the bundled SDK calls only what the logger has.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sdkLogger, type SdkLogger } from '../../src/state/aws-profile.js';
import { loadSdkModule } from '../../src/state/sdk-modules.js';
import { ROOT } from '../helpers/cli.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const { onCleanup } = useFakeAws();

type LogFilter = (value: unknown) => unknown;

/** How many times one success and one refusal of DescribeStacks ran the SDK's log filters (the copies of request and answer it logs). */
async function filterRuns(logger: SdkLogger): Promise<number> {
  const { CloudFormationClient, DescribeStacksCommand } = await loadSdkModule('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({ region: 'us-east-1', logger, maxAttempts: 1 });
  onCleanup(() => client.destroy());
  let runs = 0;
  const counted = (filter: LogFilter | undefined): LogFilter => (value) => (runs++, filter ? filter(value) : value);
  // First in the stack: the filters the SDK set for this call are counted wherever they are run.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const c = context as { inputFilterSensitiveLog?: LogFilter; outputFilterSensitiveLog?: LogFilter };
      c.inputFilterSensitiveLog = counted(c.inputFilterSensitiveLog);
      c.outputFilterSensitiveLog = counted(c.outputFilterSensitiveLog);
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'countLogFilters' },
  );
  const stack = await client.send(new DescribeStacksCommand({ StackName: 'BenchlingWebhookStack' }));
  expect(stack.Stacks?.[0]?.StackName).toBe('BenchlingWebhookStack');
  await expect(client.send(new DescribeStacksCommand({ StackName: 'NoSuchStack' }))).rejects.toMatchObject({ name: 'ValidationError' });
  return runs;
}

describe("the SDK clients' logger", () => {
  it('the SDK builds no log entry of a call, answered or refused: neither the request nor the answer is copied through its schema', async () => {
    // The counting sees a logger that logs: the SDK filters the request and the answer, and the request of the refusal.
    expect(await filterRuns({ ...sdkLogger(undefined), info() {}, error() {} })).toBe(3);
    expect(await filterRuns(sdkLogger(undefined))).toBe(0);
  });

  it('the bundled SDK calls info, error and trace only when the logger has them', () => {
    const bundle = join(ROOT, 'dist', 'sdk.cjs');
    expect(existsSync(bundle), 'dist/sdk.cjs: run `npm run build` first (npm test does)').toBe(true);
    const text = readFileSync(bundle, 'latin1');
    const calls = [...text.matchAll(/\b\w*logger\w*(\?\.|\.)(info|error|trace)(\?\.)?\(/gi)].map((m) => m[0]);
    // What the bundle holds: calls of each, so the pattern still finds them.
    expect(calls.some((c) => /\.info\?\.\($/.test(c))).toBe(true);
    expect(calls.some((c) => /\.error\?\.\($/.test(c))).toBe(true);
    expect(calls.filter((c) => !c.endsWith('?.('))).toEqual([]);
    // And debug and warn, which it calls without asking, the logger has.
    const logger = sdkLogger(undefined) as unknown as Record<string, unknown>;
    expect([typeof logger.debug, typeof logger.warn, logger.info, logger.error, logger.trace]).toEqual(['function', 'function', undefined, undefined, undefined]);
  });
});
