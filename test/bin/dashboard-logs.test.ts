/**
 * The dashboard's real log service (createServices().openLogs) against the
 * fake AWS endpoint: the screen keeps 5,000 lines, so the first read of a
 * busy log group stops once it has them.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServices } from '../../bin/commands/dashboard.js';
import { deployRecordPath } from '../../src/config/paths.js';
import { DEFAULT_LOG_CAPACITY } from '../../src/state/log-buffer.js';
import type { LogLine, LogTailStatus } from '../../src/state/log-types.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { namesOf, standardScenario } from '../fake-aws/scenario.js';
import { setFakeLogs } from '../fake-aws/services/logs.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

let fake: FakeAws;
const savedEnv = { ...process.env };

beforeEach(async () => {
  fake = await startFakeAws(standardScenario());
  const awsDir = tempDir('bd-dash-logs-aws-');
  Object.assign(process.env, fake.env, { AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'), AWS_CONFIG_FILE: join(awsDir, 'config') });
  delete process.env.AWS_PROFILE;
});

afterEach(async () => {
  await fake.close();
  process.env = { ...savedEnv };
});

describe('the dashboard\'s logs', () => {
  it(`open on a busy group with its newest ${DEFAULT_LOG_CAPACITY} lines, without reading the rest of --since`, async () => {
    const group = namesOf(fake.scenario, 'dev').logGroup;
    const now = Date.now();
    // 60,000 lines over the last ten minutes (100 a second); the screen keeps 5,000 of them.
    fake.scenario.logGroups[group] = Array.from({ length: 60_000 }, (_, i) => ({ logStreamName: `webhook/app/${i % 4}`, timestamp: now - 600_000 + i * 10, message: `INFO request ${i}` }));
    setFakeLogs(fake.scenario, { updateIntervalMs: 100 });
    const dir = tempDir('bd-dash-logs-');
    writeJson(dir, 'default.json', prodProfile());
    writeJson(dir, 'dev.json', devProfile());
    const services = createServices({ g: {}, configDir: dir, recordsPath: deployRecordPath(dir) });

    const lines: LogLine[] = [];
    const statuses: LogTailStatus[] = [];
    const handle = await services.openLogs('dev', { lines: (batch) => lines.push(...batch), status: (s) => statuses.push(s) });
    try {
      await waitFor(() => lines.length >= DEFAULT_LOG_CAPACITY, 20_000, 'the first lines');
      expect(lines).toHaveLength(DEFAULT_LOG_CAPACITY);
      expect(lines[0].message).toBe(`INFO request ${60_000 - DEFAULT_LOG_CAPACITY}`);
      expect(lines.at(-1)!.message).toBe('INFO request 59999');
      // One page of the whole range, then the newest windows only: not the 6 or more pages that the whole ten minutes take.
      const asked = fake.calls.matching('FilterLogEvents').map((c) => c.input as { startTime: number; nextToken?: string });
      expect(asked.length).toBeLessThan(6);
      expect(asked[0].startTime).toBeLessThan(now - 590_000);
      expect(Math.min(...asked.slice(1).map((a) => a.startTime))).toBeGreaterThan(now - 120_000);
      expect(statuses.at(-1)?.notice ?? '').toMatch(/^showing the newest 5,000 lines/);
    } finally {
      await handle.stop();
    }
  });
});
