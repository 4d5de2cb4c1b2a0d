// `npm run bench [name...]`: runs the benchmark scripts under bench/ one after the other
// (never in parallel: the machine is small and noisy) and prints each one's figures.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .map((f) => f.slice(0, -4))
  .sort();
const names = wanted.length > 0 ? wanted : all;
// Every name checked before any bench runs: a misspelt last one does not wait for the others' minutes.
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`bench: no bench/${name}.mjs (have: ${all.join(', ')})`);
    process.exit(2);
  }
}
/** The worst exit status of the benches run: 2 when one was asked for what it cannot run (bench/older.mjs without its tool). */
let worst = 0;
for (const name of names) {
  // The older tool is built apart (bench/older.mjs says how): a run of every bench goes on without it.
  if (wanted.length === 0 && name === 'older' && !process.env.BENCH_OLDER_TOOL) {
    console.log('\n== bench/older: skipped (BENCH_OLDER_TOOL does not name a built checkout of the older tool; see bench/older.mjs)');
    continue;
  }
  console.log(`\n== bench/${name}`);
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`)], { stdio: 'inherit', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  if (r.status !== 0) worst = Math.max(worst, r.status === 2 ? 2 : 1);
}
process.exit(worst);
