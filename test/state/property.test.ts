import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProfile } from '../../src/config/validate.js';
import { readDeployRecords } from '../../src/state/deploy-records.js';
import { prodProfile, tempDir } from '../helpers/fixtures.js';

const FILE = '/cfg/default.json';

describe('loaders never crash on arbitrary JSON', () => {
  it('profiles: each input loads or gives problems naming the file', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = checkProfile(value, FILE, 'default');
        if (!r.ok) {
          expect(r.problems.length).toBeGreaterThan(0);
          for (const p of r.problems) expect(p.startsWith(`${FILE}: `)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('profiles: a valid profile with arbitrary fields changed loads or names the field', () => {
    const keys = Object.keys(prodProfile()).concat(['minCapacity', 'maxCapacity', 'environment', 'webhookAllowList', 'unknownKey']);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
        const raw = { ...prodProfile(), [key]: value };
        const r = checkProfile(JSON.parse(JSON.stringify(raw)), FILE, 'default');
        if (!r.ok) expect(r.problems.some((p) => p.startsWith(`${FILE}: `))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('deploy.json: each input loads or gives an error naming the file', () => {
    const dir = tempDir();
    const path = join(dir, 'deploy.json');
    const section = fc.record(
      { endpoint: fc.jsonValue(), webhookEndpoint: fc.jsonValue(), imageTag: fc.jsonValue(), deployedAt: fc.jsonValue(), history: fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.constantFrom('imageTag', 'deployedAt', 'endpoint'), fc.jsonValue()))) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ dev: section, prod: section }, { requiredKeys: [] })), (value) => {
        writeFileSync(path, JSON.stringify(value) ?? 'null');
        const r = readDeployRecords(path);
        if (r.state === 'malformed') expect(r.error.startsWith(`${path}: `)).toBe(true);
        else expect(r.state).toBe('ok');
      }),
      { numRuns: 500 },
    );
  });

  it('deploy.json: arbitrary text (not JSON) is reported, not thrown', () => {
    const path = join(tempDir(), 'deploy.json');
    fc.assert(
      fc.property(fc.string(), (text) => {
        writeFileSync(path, text);
        const r = readDeployRecords(path);
        expect(['ok', 'malformed']).toContain(r.state);
      }),
      { numRuns: 300 },
    );
  });
});
