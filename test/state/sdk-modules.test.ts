import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSdkModule, type SdkModules } from '../../src/state/sdk-modules.js';
import { SDK_MODULES } from '../../src/state/sdk-bundle.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SDK_DIR = join(ROOT, 'src', 'state', 'sdk');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('loadSdkModule', () => {
  it('loads a client module (the client and the commands sent), the same module on every call', async () => {
    const sts = await loadSdkModule('@aws-sdk/client-sts');
    expect(typeof sts.STSClient).toBe('function');
    expect(typeof sts.GetCallerIdentityCommand).toBe('function');
    expect(await loadSdkModule('@aws-sdk/client-sts')).toBe(sts);
    const logs = await loadSdkModule('@aws-sdk/client-cloudwatch-logs');
    expect(Object.keys(logs).sort()).toEqual(['CloudWatchLogsClient', 'FilterLogEventsCommand', 'StartLiveTailCommand']);
  });

  it("dist/sdk.cjs's entry holds each client module under its own name: what loadSdkModule gives from the sources", async () => {
    const names = Object.keys(SDK_MODULES).sort() as (keyof SdkModules)[];
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(SDK_MODULES[name], name).toBe(await loadSdkModule(name));
  });

  it('is the only way src/ loads an AWS SDK package at run time: its client modules alone name a package, and only it (and the bundle it loads when built) imports them', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const inSdk = file.startsWith(`${SDK_DIR}/`);
      if (!inSdk) {
        for (const m of text.matchAll(/(?<!typeof\s)\bimport\(\s*'(@aws-sdk\/[^']+)'\s*\)|^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(@aws-sdk\/[^']+)'/gms)) offenders.push(`${file}: ${m[1] ?? m[2]}`);
      }
      // sdk-bundle.ts is the entry of dist/sdk.cjs, which sdk-modules.ts loads when built.
      if (!file.endsWith('/src/state/sdk-modules.ts') && !file.endsWith('/src/state/sdk-bundle.ts')) {
        for (const m of text.matchAll(/(?<!typeof\s)\bimport\(\s*'([^']*\/sdk\/[^']+)'\s*\)|^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']*\/sdk\/[^']+)'/gms)) offenders.push(`${file}: ${m[1] ?? m[2]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has one client module per AWS SDK client the bundle is built from (a development dependency), each re-exporting from its own package only', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const clients = Object.keys(pkg.devDependencies).filter((d) => d.startsWith('@aws-sdk/')).sort();
    expect(clients.length).toBeGreaterThan(5);
    const text = readFileSync(join(ROOT, 'src', 'state', 'sdk-modules.ts'), 'utf8');
    const listed = [...text.matchAll(/^\s+'(@aws-sdk\/([^']+))': typeof import\('\.\/sdk\/\2\.js'\);$/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(clients);
    const loaders = [...text.matchAll(/^\s+'(@aws-sdk\/([^']+))': \(\) => import\('\.\/sdk\/\2\.js'\),$/gm)].map((m) => m[1]).sort();
    expect(loaders).toEqual(clients);
    expect(readdirSync(SDK_DIR).sort()).toEqual(clients.map((c) => `${c.slice('@aws-sdk/'.length)}.ts`).sort());
    for (const client of clients) {
      const source = readFileSync(join(SDK_DIR, `${client.slice('@aws-sdk/'.length)}.ts`), 'utf8');
      const froms = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      expect(froms, client).toEqual([client]);
      expect(source, client).not.toMatch(/export \*/);
    }
  });
});
