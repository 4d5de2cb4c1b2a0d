// Records deploys in a loop from a separate process, for the concurrency tests.
// argv: <deploy.json path> <environment> <label> <count (0 = forever)>
import { recordDeploy } from '../../../src/state/deploy-records.js';

const [path, env, label, countText] = process.argv.slice(2);
const count = Number(countText);
for (let i = 1; count === 0 || i <= count; i++) {
  const tag = `${label}-${i}`;
  await recordDeploy(path, env as 'dev' | 'prod', { endpoint: `https://x/${env}`, imageTag: tag, deployedAt: new Date().toISOString(), stackName: 'S' });
  process.stdout.write(`done ${tag}\n`);
}
