#!/usr/bin/env node
// Runs the fake AWS endpoint (server.ts) as its own process, with plain node:
//
//   node test/fake-aws/serve.mjs [--scenario FILE.json] [--environments dev,prod] [--port N]
//
// esbuild (a devDependency) bundles the TypeScript fake into a temporary file
// under test/fake-aws/.out first (about 50 ms; the fake imports only node:
// modules, and loads the `yaml` package at run time from the project, for
// YAML templates). Prints one JSON
// line on stdout, {"url": "http://127.0.0.1:PORT", "env": {...}}, then serves
// until SIGTERM or SIGINT. Point the built CLI at it with those variables
// (AWS_ENDPOINT_URL and dummy credentials); drive it over HTTP with the
// control API described at the top of server.ts (/__fake/faults, /__fake/calls,
// /__fake/scenario).
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles the fake into a temporary ES module and imports it. The module sits
 * inside the project so that what it loads at run time (`yaml`) resolves from
 * the project's node_modules; beside the fake, not in node_modules, which a test
 * run leaves as it was (test/helpers/checkout-unchanged.ts).
 */
export async function loadFakeAws() {
  const cache = join(here, '.out');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'bd-fake-aws-'));
  const outfile = join(dir, 'fake-aws.mjs');
  await build({
    stdin: {
      contents: "export { startFakeAws } from './server.ts';\nexport * from './scenario.ts';\nexport * from './stacks.ts';\n",
      resolveDir: here,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      environments: { type: 'string', default: 'dev,prod' },
      port: { type: 'string' },
    },
  });
  const fakeAws = await loadFakeAws();
  const environments = values.environments.split(',').map((e) => e.trim()).filter(Boolean);
  for (const e of environments) {
    if (e !== 'dev' && e !== 'prod') {
      process.stderr.write(`serve.mjs: --environments: "${e}" is not dev or prod\n`);
      process.exit(2);
    }
  }
  const scenario = values.scenario ? JSON.parse(readFileSync(values.scenario, 'utf8')) : fakeAws.standardScenario({ environments });
  const fake = await fakeAws.startFakeAws(scenario, { port: values.port ? Number(values.port) : undefined });
  process.stdout.write(`${JSON.stringify({ url: fake.url, env: fake.env })}\n`);
  const stop = async () => {
    await fake.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
