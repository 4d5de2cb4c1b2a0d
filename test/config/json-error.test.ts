import { describe, expect, it } from 'vitest';
import { describeJsonSyntaxError } from '../../src/config/json-error.js';
import { inspectProfile } from '../../src/config/store.js';
import { readDeployRecords } from '../../src/state/deploy-records.js';
import { SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { join } from 'node:path';

const why = (text: string) => {
  try {
    JSON.parse(text);
  } catch (error) {
    return describeJsonSyntaxError(text, error);
  }
  throw new Error('parsed');
};

describe('JSON syntax errors', () => {
  it('say what and where, never the text around it', () => {
    const bad = `{\n  "profile": "default",\n  "benchlingClientSecret": ${SECRET}\n}`;
    const message = why(bad);
    expect(message).toMatch(/^not valid JSON/);
    expect(message).not.toContain(SECRET.slice(0, 6));
    expect(why('{"a": 1,}')).toMatch(/line 1, column \d+: a property name must be in double quotes/);
    expect(why('')).toMatch(/ends too early/);
    expect(why('{}x')).toMatch(/more text after the end/);
  });

  it('profiles and deploy.json report them without the secret', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', `{ "profile": "default", "benchlingClientSecret": ${SECRET} }`);
    const loaded = inspectProfile(dir, 'default');
    expect(loaded.problems[0]).toMatch(/default\.json: not valid JSON/);
    expect(loaded.problems.join()).not.toContain(SECRET.slice(0, 6));
    writeJson(dir, 'deploy.json', `{ "prod": ${SECRET} }`);
    const read = readDeployRecords(join(dir, 'deploy.json'));
    expect(read.state === 'malformed' && read.error).toMatch(/deploy\.json: not valid JSON/);
    expect(JSON.stringify(read)).not.toContain(SECRET.slice(0, 6));
  });
});
