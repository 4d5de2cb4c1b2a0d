import { Option, type Command } from 'commander';
import { ENVIRONMENTS } from '../../src/config/environments.js';
import { DEFAULT_INTERVAL_MS } from '../../src/state/poll-interval.js';
import { boundedNumber, parseRefresh, TIMEOUT_BOUNDS } from '../numbers.js';
import { SETUP_FLAGS } from './setup-flags.js';
import { DEFAULT_SYNTH_OUT } from '../../src/config/names.js';

// The command tree's options and help text. Each command's implementation (and what it
// imports: the profile schema, the AWS clients) is loaded only when that command runs,
// so `--help` and a rejected argument cost the parser alone.

type Handler = (...args: any[]) => Promise<void>;

/** An action that imports its command's module when it runs, then hands it commander's arguments. */
function later<M>(load: () => Promise<M>, pick: (module: M) => Handler): Handler {
  return async (...args) => pick(await load())(...args);
}

const environmentOption = () => new Option('-e, --environment <env>', 'dev or prod').choices([...ENVIRONMENTS]);

export function registerStatusCommand(program: Command): void {
  // Global, beside the poller it sets: how often the dashboard re-reads AWS.
  program.option('--refresh <seconds>', `how often the dashboard re-reads AWS, in seconds (default ${DEFAULT_INTERVAL_MS / 1000})`, parseRefresh);
  program
    .command('status')
    .description("every environment's health, once; exit 0 only when all are healthy")
    .option('--json', 'print JSON (the shape of PRODUCT.md section 6)')
    .action(later(() => import('./status.js'), (m) => m.statusAction));
}

export function registerProfileCommands(program: Command): void {
  program
    .command('profiles')
    .description('list profiles: name, environment, tenant, image tag, stack, valid or not')
    .option('--json', 'print JSON')
    .action(later(() => import('./profile-checks.js'), (m) => m.listProfilesAction));

  program
    .command('validate')
    .description('check profiles (all when none is named); exit 2 on any error, listing all of them')
    .option('--profile <name>', 'the config profile to check')
    .action(later(() => import('./profile-checks.js'), (m) => m.validateAction));

  const setup = program
    .command('setup-profile')
    .description('create or edit a profile, from flags or interactively')
    .argument('<name>', 'profile name: default (prod), dev, or another')
    .option('--from <profile>', 'start from a copy of another profile')
    .option('--client-secret-stdin', 'read the Benchling client secret from standard input (never from a flag)')
    .option('--no-webhook-verification', 'turn off webhook signature verification')
    .option('--interactive', 'open the form even when flags are given');
  for (const f of SETUP_FLAGS) {
    const opt = new Option(`--${f.flag} <value>`, f.help);
    setup.addOption(f.flag === 'environment' ? opt.choices(['dev', 'prod']) : opt);
  }
  setup.action(later(() => import('./profiles.js'), (m) => m.setupProfileAction));
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description("convert the older tool's (v0.6) default.json and deploy.json to this layout, keeping the originals as *.v0.6.json")
    .option('--image-tag <tag>', 'the image prod runs, when the v0.6 default.json has no imageTag or "latest"')
    .option('-y, --yes', 'apply the plan without asking')
    .action(later(() => import('./migrate.js'), (m) => m.migrateAction));
}

export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('write the stack\'s CloudFormation template from the profiles, offline (no AWS access, no credentials)')
    .option('--out <dir>', `folder for the cloud assembly (default: ./${DEFAULT_SYNTH_OUT}); replaced if it holds an earlier one`)
    .option('--json', 'print the template path, assembly folder, stack and environments as JSON')
    .action(later(() => import('./synth.js'), (m) => m.synthAction));
}

export function registerDeployCommands(program: Command): void {
  program
    .command('deploy')
    .description('validate, show the plan, confirm, cdk deploy, record')
    .addOption(environmentOption())
    .option('--profile <name>', 'config profile (default: dev for dev, default for prod)')
    .option('--image-tag <tag>', 'image tag or sha256:<digest> (default: the profile\'s)')
    .option('-y, --yes', 'do not ask; confirm')
    .option('--allow-replacement', 'with --yes: also confirm a deploy that replaces the API, the load balancer or the running prod service')
    .action(later(() => import('./deploy.js'), (m) => m.deployAction));

  program
    .command('diff')
    .description('what a deploy of the environment would change')
    .addOption(environmentOption())
    .option('--profile <name>', 'config profile')
    .option('--image-tag <tag>', 'image tag to compare with')
    .action(later(() => import('./deploy.js'), (m) => m.diffAction));

  program
    .command('promote')
    .description('deploy prod with the exact image (digest) dev is running')
    .option('-y, --yes', 'do not ask; confirm')
    .option('--allow-replacement', 'with --yes: also confirm a deploy that replaces the API, the load balancer or the running prod service')
    .action(later(() => import('./deploy.js'), (m) => m.promoteAction));

  program
    .command('rollback')
    .description("redeploy the previous image of the environment, from its history (the account's in team mode, else deploy.json)")
    .addOption(environmentOption().default('prod'))
    .option('--release <version>', 'the release the earlier image is (when deploy.json does not record it, as for an older digest)')
    .option('-y, --yes', 'do not ask; confirm')
    .option('--allow-replacement', 'with --yes: also confirm a deploy that replaces the API, the load balancer or the running prod service')
    .action(later(() => import('./deploy.js'), (m) => m.rollbackAction));

  program
    .command('test')
    .description('GET the deployed endpoint\'s /health; exit 0 only on 200')
    .addOption(environmentOption())
    .option('--timeout <seconds>', `how long to wait for an answer, ${TIMEOUT_BOUNDS.min} to ${TIMEOUT_BOUNDS.max} seconds`, (v: string) => boundedNumber(v, TIMEOUT_BOUNDS), 10)
    .option('--stack-name <name>', 'test the endpoint of another stack (its outputs; the older tool\'s WebhookEndpoint too), e.g. the old one of a side-by-side upgrade')
    .action(later(() => import('./deploy.js'), (m) => m.testAction));

  program
    .command('destroy')
    .description('delete the stack (every environment); deploy.json keeps the history')
    .option('--stack-name <name>', 'delete this stack instead of the profiles\' (in their account and region), e.g. the old one after a side-by-side upgrade')
    .option('-y, --yes', 'do not ask; confirm')
    .action(later(() => import('./deploy.js'), (m) => m.destroyAction));
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("an environment's logs (time, stream, message), oldest first; --follow keeps printing until ctrl-c")
    .option('-e, --environment <env>', 'dev, prod, or all (both interleaved, each line labelled)')
    .option('-f, --follow', 'keep printing new lines (live tail; polling every 2 s if live tail is unavailable)')
    .option('--filter <pattern>', 'a CloudWatch Logs filter pattern, e.g. ERROR, "GET /event", ?ERROR ?WARNING')
    .option('--since <duration>', 'how far back to start: 30s, 10m, 2h, 7d (default 10m)')
    .option('--include-health', 'show the load balancer health checks (GET /health), hidden by default')
    .option('--json', 'one JSON object per line: environment, time, stream, message, id')
    .action(later(() => import('./logs.js'), (m) => m.logsAction));
}

export function registerHistoryCommand(program: Command): void {
  program
    .command('history')
    .description("each environment's deploys, newest first: image, digest, when, who (from the account; deploy.json without SSM permission)")
    .addOption(new Option('-e, --environment <env>', 'dev or prod (default: every environment)').choices([...ENVIRONMENTS]))
    .option('--json', 'print JSON')
    .action(later(() => import('./history.js'), (m) => m.historyAction));
}

export function registerCostCommand(program: Command): void {
  program
    .command('cost')
    .description("the monthly estimate per environment and shared, from list prices; requests from the last 7 days' CloudWatch metrics where they can be read")
    .option('--json', 'print one object: region, pricesAsOf, environments, shared, monthly (USD)')
    .action(later(() => import('./cost.js'), (m) => m.costAction));
}
