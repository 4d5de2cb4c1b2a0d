/**
 * `setup-profile NAME` with no flags opens the form on a terminal, and the form's save goes through the same
 * checks and clean-ups as the flags' path (bin/commands/profiles.ts): a new profile starts from default's
 * shared fields, and one that the form makes a dev profile leaves out the NAT gateways it started from
 * (only a prod profile may set them; saved, the dev profile would be refused everywhere). The built CLI in a
 * real terminal (tmux), keys as a user types them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { TmuxTerminal } from '../helpers/tmux.js';
import { FORM_FIELDS } from '../../src/config/fields.js';

let terminals: TmuxTerminal[] = [];
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
});

/** `setup-profile NAME` in a terminal; its exit status lands in `exit` in the folder (see TmuxTerminal.pane). */
function setupProfile(dir: string, name: string): TmuxTerminal {
  const t = new TmuxTerminal();
  terminals.push(t);
  const exitFile = join(dir, 'exit');
  t.start(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)} setup-profile ${name}; echo $? > ${JSON.stringify(`${exitFile}.tmp`)} && mv ${JSON.stringify(`${exitFile}.tmp`)} ${JSON.stringify(exitFile)}; exec sleep 3600`, { HOME: tempDir('bd-e2e-home-') }, { columns: 120, rows: 40 });
  return t;
}

async function exitStatus(dir: string, t: TmuxTerminal): Promise<number> {
  const file = join(dir, 'exit');
  const end = Date.now() + 30_000;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`no exit status after 30 s; the screen:\n${t.screen()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number(readFileSync(file, 'utf8').trim());
}

/** `setup-profile staging` next to a default.json that sets NAT gateways: the environment typed into the form's first field, then saved. */
async function saveAs(environment: string): Promise<{ dir: string; saved: Record<string, unknown> }> {
  const dir = tempDir('bd-e2e-setup-');
  writeJson(dir, 'default.json', prodProfile({ natGateways: 2 }));
  const t = setupProfile(dir, 'staging');
  await t.waitFor((s) => s.includes('Environment') && s.includes('acme'), 'the form, filled from default');
  // The first field is the environment; then down to the save row, and enter.
  t.send(environment, { literal: true });
  // Typed into the field before moving on: keys sent as the form first draws could come before its input is read.
  await t.waitFor((s) => new RegExp(`Environment +${environment}\\b`).test(s), `${environment} in the environment field`);
  for (let i = 0; i < FORM_FIELDS.length; i++) t.send('Down');
  t.send('Enter');
  expect(await exitStatus(dir, t), t.screen()).toBe(0);
  return { dir, saved: JSON.parse(readFileSync(join(dir, 'staging.json'), 'utf8')) };
}

describe('the setup form, saved', { timeout: 120_000 }, () => {
  it('a new profile made dev in the form starts from default and is written without default\'s NAT gateways', async () => {
    const { dir, saved } = await saveAs('dev');
    expect(saved).toMatchObject({ profile: 'staging', environment: 'dev', benchlingTenant: 'acme', benchlingClientId: 'client_prod', quiltStackArn: prodProfile().quiltStackArn });
    expect(saved).not.toHaveProperty('natGateways');
    // default.json is as it was.
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8'))).toEqual(prodProfile({ natGateways: 2 }));
  });

  it('a new prod profile keeps default\'s NAT gateways', async () => {
    const { saved } = await saveAs('prod');
    expect(saved).toMatchObject({ profile: 'staging', environment: 'prod', natGateways: 2, imageTag: '0.7.0' });
  });
});
