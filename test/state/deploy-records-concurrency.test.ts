import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import { HISTORY_LIMIT, loadDeployRecords, recordDeploy } from '../../src/state/deploy-records.js';
import { bundleScript } from '../helpers/bundle.js';
import { tempDir } from '../helpers/fixtures.js';

let worker = '';
beforeAll(async () => {
  worker = await bundleScript(join(fileURLToPath(new URL('.', import.meta.url)), 'workers', 'record-worker.ts'));
});

function run(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done: string[] = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('done ')) done.push(line.slice(5));
        onLine?.(line, () => child.kill('SIGKILL'));
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve(done) : reject(new Error(`worker failed (${code}): ${err}`))));
  });
}

function allTags(path: string, env: 'dev' | 'prod'): string[] {
  const rec = loadDeployRecords(path)[env]!;
  return [rec.imageTag, ...rec.history.map((h) => h.imageTag)];
}

describe('deploy.json under concurrency', () => {
  it('two processes recording at once keep every completed record', async () => {
    const path = join(tempDir(), 'deploy.json');
    const [a, b] = await Promise.all([run([path, 'dev', 'a', '8']), run([path, 'dev', 'b', '8'])]);
    expect(a).toHaveLength(8);
    expect(b).toHaveLength(8);
    const tags = allTags(path, 'dev');
    expect(tags.sort()).toEqual([...a, ...b].sort());
  });

  it('processes killed mid-write leave a valid file holding every completed record', async () => {
    const dir = tempDir();
    const path = join(dir, 'deploy.json');
    const completed: string[] = [];
    for (let round = 0; round < 6; round++) {
      const stopAfter = 1 + Math.floor(Math.random() * 4);
      let seen = 0;
      const done = await run([path, 'prod', `r${round}`, '0'], (line, kill) => {
        if (line.startsWith('done ') && ++seen >= stopAfter) setTimeout(kill, Math.random() * 3);
      });
      completed.push(...done);
      // The file parses and is well-formed after every kill.
      expect(() => JSON.parse(readFileSync(path, 'utf8'))).not.toThrow();
      const tags = allTags(path, 'prod');
      // Newest first: the most recent completed records are all there, in order.
      // Each killed round may have written one record it did not live to report; leave room for those.
      const expected = [...completed].reverse().slice(0, HISTORY_LIMIT + 1 - (round + 1));
      expect(tags.filter((t) => expected.includes(t))).toEqual(expected);
      // At most the one record written just before the kill, and not yet reported, stands before them.
      expect(tags.indexOf(expected[0])).toBeLessThanOrEqual(1);
    }
    // A lock left by a killed process is recovered by the next writer.
    await recordDeploy(path, 'prod', { endpoint: 'https://e.execute-api.us-east-1.amazonaws.com/prod', imageTag: 'after', deployedAt: new Date().toISOString(), stackName: 'S' });
    expect(allTags(path, 'prod')[0]).toBe('after');
    // No temporary files are left as profiles or records (they start with "." and are ignored).
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual(['deploy.json']);
  });
});
