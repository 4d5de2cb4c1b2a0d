// The older tool's synthesis, for bench/older.mjs: what its `deploy` command does before it runs
// cdk (bin/commands/deploy.ts: the profile read with inheritance, profileToStackConfig, createStack,
// app.synth()), without its AWS calls (the secret's sync, the bootstrap check). Its cdk.json app
// synthesizes nothing (bin/benchling-webhook.ts only exports createStack), so this is the way to time
// it. OLDER_ROOT names the built checkout; CDK_OUTDIR, CDK_CONTEXT_JSON and CDK_DEFAULT_* come from
// the bench. Prints the template's resource count on stdout.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = process.env.OLDER_ROOT;
const { XDGConfig } = require(join(root, 'dist/lib/xdg-config'));
const { profileToStackConfig } = require(join(root, 'dist/lib/utils/config-transform'));
const { createStack } = require(join(root, 'dist/bin/benchling-webhook'));

const config = new XDGConfig().readProfileWithInheritance('default');
const deployConfig = { ...config, deployment: { ...config.deployment, imageTag: config.deployment.imageTag || 'latest' } };
const { app } = createStack(profileToStackConfig(deployConfig), {
  account: process.env.CDK_DEFAULT_ACCOUNT,
  region: process.env.CDK_DEFAULT_REGION,
  profileName: 'default',
  tags: { 'deployed-by': 'bench', 'deployed-at': '2026-01-01T00:00:00.000Z', profile: 'default', 'git-sha': 'unknown' },
});
const assembly = app.synth();
const stack = assembly.stacks[0];
const template = JSON.parse(readFileSync(join(assembly.directory, stack.templateFile), 'utf8'));
process.stdout.write(`${Object.keys(template.Resources ?? {}).length}\n`);
