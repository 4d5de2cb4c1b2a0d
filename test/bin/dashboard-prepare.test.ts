/**
 * The dashboard's preparation of a deploy starts its synthesis worker first (so it loads while
 * the pre-flight waits on AWS) and ends it however the preparation ends: a plan, a refusal, an
 * error in the pre-flight, a failed synthesis. Real SDK clients against the fake AWS; the worker
 * is a stand-in that counts.
 */
import { describe, expect, it } from 'vitest';
import { createServices } from '../../bin/commands/dashboard.js';
import type { SynthWorker } from '../../src/infra/operations.js';
import { UserError } from '../../src/errors.js';
import { SECRET, devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { useFakeAws } from '../helpers/fake-aws.js';
import { deployedScenario } from '../helpers/deployed.js';

const { fake } = useFakeAws();

function configDir(withDev = true): string {
  const dir = tempDir();
  // With their client secrets: a first deploy creates both environments' secrets.
  writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }));
  if (withDev) writeJson(dir, 'dev.json', devProfile({ benchlingClientSecret: SECRET }));
  return dir;
}

/** A stand-in worker: counts its starts, syntheses asked and closes; its synthesis fails as `synthesize` says. */
function countingWorker(synthesize: () => Promise<never>) {
  const counts = { started: 0, asked: 0, closed: 0 };
  const start = (): SynthWorker => {
    counts.started++;
    return {
      synthesize: () => {
        counts.asked++;
        return synthesize();
      },
      close: () => void counts.closed++,
    };
  };
  return { counts, start };
}

describe("the dashboard's preparation and its synthesis worker", () => {
  it('a refusal (promote with no dev profile): the worker was started and is closed, never asked', async () => {
    const dir = configDir(false);
    const worker = countingWorker(() => Promise.reject(new Error('not asked')));
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, startSynthWorker: worker.start });
    const r = await services.prepare('promote', 'prod');
    expect(r).toEqual({ refusal: expect.stringMatching(/^there is no dev profile/) });
    expect(worker.counts).toEqual({ started: 1, asked: 0, closed: 1 });
  });

  it('an error in the pre-flight (credentials refused): closed, never asked', async () => {
    const dir = configDir();
    fake.inject({ kind: 'access-denied', service: 'sts' });
    const worker = countingWorker(() => Promise.reject(new Error('not asked')));
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, startSynthWorker: worker.start });
    await expect(services.prepare('deploy', 'dev')).rejects.toThrow();
    expect(worker.counts).toEqual({ started: 1, asked: 0, closed: 1 });
  });

  it('a synthesis that fails, after the pre-flight: asked once, closed, its error the preparation’s', async () => {
    // No stack yet, the Quilt stacks readable: the pre-flight passes.
    fake.scenario = deployedScenario(null);
    const dir = configDir();
    const worker = countingWorker(() => Promise.reject(new UserError('the stand-in refuses')));
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, startSynthWorker: worker.start });
    await expect(services.prepare('deploy', 'dev')).rejects.toThrow('the stand-in refuses');
    expect(worker.counts).toEqual({ started: 1, asked: 1, closed: 1 });
  });
});
