// Run in a process of its own by test/config/random-hex.test.ts (bundled, as the built command
// bundles these modules): whether Node's crypto module has loaded after each step, as JSON.
import { join } from 'node:path';
import { writeFileAtomic } from '../../../src/config/atomic-file.js';
import { tryLock } from '../../../src/config/lock.js';
import { inspectAllProfiles } from '../../../src/config/store.js';
import { readDeployRecords } from '../../../src/state/deploy-records.js';
// Team mode's, which the dashboard loads as it starts polling (its lock is taken only for a deploy): used below, so kept whole.
import { createTeam } from '../../../src/state/team-records.js';

const dir = process.argv[2]!;
// Node's crypto module, or the parts of it that Web Crypto's getRandomValues loads.
const loaded = () => (process as unknown as { moduleLoadList: string[] }).moduleLoadList.some((m) => /^NativeModule (crypto|internal\/crypto\/)/.test(m));
if (typeof createTeam !== 'function') throw new Error('team records: no createTeam');
const steps: Record<string, boolean> = { loaded: loaded() };
inspectAllProfiles(dir);
readDeployRecords(join(dir, 'deploy.json'));
steps.read = loaded();
if (process.argv[3] === 'lock') tryLock(join(dir, 'deploy.json.lock'), 'test')?.release();
else writeFileAtomic(join(dir, 'deploy.json'), '{}\n');
steps.written = loaded();
process.stdout.write(`${JSON.stringify(steps)}\n`);
