/**
 * aws-cdk-lib's timers of Node's fs and child_process (src/infra/cdk-builtins.ts) are off in the built CLI's
 * `synth`: seen in the performance counters aws-cdk-lib writes when asked (a file named by
 * CDK_PERF_COUNTERS_FILE, written when a synthesis is slower than the threshold in its context, here 0).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/synth/dev-and-prod', import.meta.url));

/** The counters' names a `synth` reports, with CDK_NO_PERF_BUILTINS as given (undefined: unset). */
function counters(given: string | undefined): string[] {
  const dir = tempDir('bd-cdk-perf-');
  const file = join(dir, 'perf.json');
  const r = runCli(['--config-dir', FIXTURE, 'synth', '--out', join(dir, 'cdk.out')], {
    env: {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      // vitest's NODE_ENV=test switches aws-cdk-lib's timers off by itself.
      NODE_ENV: undefined,
      CDK_NO_PERF_BUILTINS: given,
      CDK_PERF_COUNTERS_FILE: file,
      CDK_CONTEXT_JSON: JSON.stringify({ '@aws-cdk/core.slowSynthThreshold': 0 }),
    },
  });
  expect(r.status, r.stderr).toBe(0);
  return Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { counters: Record<string, number> }).counters);
}

it("synth loads aws-cdk-lib with Node's fs and child_process left unwrapped; a CDK_NO_PERF_BUILTINS the user gives stands", () => {
  const ours = counters(undefined);
  expect(ours).toContain('phase:Synthesis');
  expect(ours.filter((k) => k.startsWith('fs.') || k.startsWith('child_process.'))).toEqual([]);
  // Given as 0 (not one of aws-cdk-lib's yes values), it is the user's: the timers are on.
  expect(counters('0')).toContain('fs.readFileSync');
});
