import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const SERVE = fileURLToPath(new URL('./serve.mjs', import.meta.url));

describe('test/fake-aws/serve.mjs (the fake in its own process, plain node)', () => {
  it('prints its URL and environment, serves the real SDK, obeys the control API, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [SERVE, '--environments', 'prod'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url, env } = JSON.parse(line) as { url: string; env: Record<string, string> };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(env).toMatchObject({ AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1' });
      const scenario = (await (await fetch(`${url}/__fake/scenario`)).json()) as { stacks: Record<string, { outputs: Record<string, string> }> };
      expect(Object.keys(scenario.stacks.BenchlingWebhookStack.outputs)).not.toContain('DevServiceName');
      await fetch(`${url}/__fake/faults`, { method: 'POST', body: JSON.stringify({ kind: 'throttle', times: 1 }) });
      const sts = new STSClient({ region: 'us-east-1', endpoint: url, maxAttempts: 1, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'Throttling' });
      await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });
      const calls = (await (await fetch(`${url}/__fake/calls`)).json()) as { byOperation: Record<string, number> };
      expect(calls.byOperation).toEqual({ 'sts:GetCallerIdentity': 2 });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
