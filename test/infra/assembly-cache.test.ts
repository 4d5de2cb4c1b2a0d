/**
 * Assemblies reused by content key (src/infra/assembly-cache.ts): a second
 * plan of the same profiles copies the assembly synthesized before instead of
 * synthesizing; a change of anything the template depends on synthesizes anew.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSEMBLY_CACHE_ENTRIES, assemblyCacheDir, assemblyKey, defaultKeyInputs, withAssemblyCache, type AssemblyKeyInputs } from '../../src/infra/assembly-cache.js';
import type { Synthesizer } from '../../src/infra/deploy.js';
import { synthesizeStackLazily } from '../../src/infra/operations.js';
import { SECRET, tempDir } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

const TEMPLATE = 'BenchlingWebhookStack.template.json';

/** The real synthesizer, counting its runs. */
function counted(): { synth: Synthesizer; runs: () => number } {
  let runs = 0;
  return {
    synth: async (profiles, outDir, options) => {
      runs++;
      return synthesizeStackLazily(profiles, outDir, options);
    },
    runs: () => runs,
  };
}

const INPUTS: AssemblyKeyInputs = { toolVersion: '1.0.0', templateSource: 'a'.repeat(64), cdkLibVersion: '2.276.0', constructsVersion: '10.8.1', context: {} };

describe('withAssemblyCache', () => {
  const cache = tempDir('bd-assembly-cache-');
  const real = counted();
  const synth = withAssemblyCache(real.synth, { dir: cache, inputs: INPUTS });
  const profiles = stackProfiles({ prod: { benchlingClientSecret: SECRET }, dev: {} });
  let first: Awaited<ReturnType<Synthesizer>>;

  beforeAll(async () => {
    first = await synth(profiles, join(tempDir(), 'assembly-1'));
  });

  it('reuses the assembly for the same profiles: no second synth, the same files in the new folder', async () => {
    expect(real.runs()).toBe(1);
    const events: { reused: boolean }[] = [];
    const again = withAssemblyCache(real.synth, { dir: cache, inputs: INPUTS, onSynth: (e) => events.push(e) });
    const out = join(tempDir(), 'assembly-2');
    const second = await again(profiles, out);
    expect(real.runs()).toBe(1);
    expect(events).toEqual([{ reused: true, key: assemblyKey(profiles, INPUTS) }]);
    expect(second).toEqual({ ...first, assemblyDir: out });
    expect(readdirSync(out).sort()).toEqual(readdirSync(first.assemblyDir).sort());
    expect(readFileSync(join(out, TEMPLATE), 'utf8')).toBe(readFileSync(join(first.assemblyDir, TEMPLATE), 'utf8'));
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(readFileSync(join(first.assemblyDir, 'manifest.json'), 'utf8'));
  });

  it("synthesizes anew when an upgrade takes over the deployed stack's ids, and passes them to the synth", async () => {
    const runs = real.runs();
    const keep = { restApi: 'RestApiGatewayOlder1234', prodStage: 'RestApiGatewayDeploymentStageprodOlder5678' };
    expect(assemblyKey(profiles, INPUTS, { keep })).not.toBe(assemblyKey(profiles, INPUTS));
    const upgraded = await synth(profiles, join(tempDir(), 'assembly-keep'), { keep });
    expect(real.runs()).toBe(runs + 1);
    const resources = JSON.parse(readFileSync(join(upgraded.assemblyDir, TEMPLATE), 'utf8')).Resources as Record<string, { Type: string }>;
    expect(resources[keep.restApi]?.Type).toBe('AWS::ApiGateway::RestApi');
    // The fresh stack's assembly is still there for the same profiles without kept ids.
    await synth(profiles, join(tempDir(), 'assembly-fresh'));
    expect(real.runs()).toBe(runs + 1);
  });

  it('keeps no client secret (the key is a digest, the assembly never holds it)', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    for (const f of files(cache)) {
      expect(readFileSync(f, 'utf8'), f).not.toContain(SECRET);
      expect(statSync(f).mode & 0o077, f).toBe(0);
    }
  });

  it('synthesizes anew when a template-relevant profile field changes, and that template shows the change', async () => {
    const before = real.runs();
    const changed = stackProfiles({ prod: { benchlingClientSecret: SECRET, maxCapacity: 7 }, dev: {} });
    const out = join(tempDir(), 'assembly-3');
    await synth(changed, out);
    expect(real.runs()).toBe(before + 1);
    expect(readFileSync(join(out, TEMPLATE), 'utf8')).not.toBe(readFileSync(join(first.assemblyDir, TEMPLATE), 'utf8'));
  });

  it('changes the key with every input of the template: each profile field, dev present or not, code, versions, context', () => {
    const key = assemblyKey(profiles, INPUTS);
    const keys = [
      assemblyKey(stackProfiles({ prod: { benchlingClientSecret: SECRET, minCapacity: 3 }, dev: {} }), INPUTS),
      assemblyKey(stackProfiles({ prod: { benchlingClientSecret: SECRET, quiltWebHost: 'quilt.example.com' }, dev: {} }), INPUTS),
      assemblyKey(stackProfiles({ prod: { benchlingClientSecret: SECRET }, dev: { imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/other' } }), INPUTS),
      assemblyKey(stackProfiles({ prod: { benchlingClientSecret: SECRET }, dev: false }), INPUTS),
      assemblyKey(profiles, { ...INPUTS, toolVersion: '1.0.1' }),
      assemblyKey(profiles, { ...INPUTS, templateSource: 'b'.repeat(64) }),
      assemblyKey(profiles, { ...INPUTS, cdkLibVersion: '2.277.0' }),
      assemblyKey(profiles, { ...INPUTS, constructsVersion: '10.8.2' }),
      assemblyKey(profiles, { ...INPUTS, context: { CDK_CONTEXT_JSON: '{"x":1}' } }),
    ];
    expect(new Set([key, ...keys]).size).toBe(keys.length + 1);
    // The client secret is not in the template: changing it alone reuses the assembly.
    expect(assemblyKey(stackProfiles({ prod: { benchlingClientSecret: 'another' }, dev: {} }), INPUTS)).toBe(key);
  });

  it('synthesizes anew for a new tool version or cdk-lib version, with the same profiles', async () => {
    const before = real.runs();
    await withAssemblyCache(real.synth, { dir: cache, inputs: { ...INPUTS, cdkLibVersion: '2.999.0' } })(profiles, join(tempDir(), 'assembly-4'));
    await withAssemblyCache(real.synth, { dir: cache, inputs: { ...INPUTS, toolVersion: '9.9.9' } })(profiles, join(tempDir(), 'assembly-5'));
    expect(real.runs()).toBe(before + 2);
  });

  it('never serves an entry whose files changed since: a fresh synth replaces it', async () => {
    const entry = join(cache, assemblyKey(profiles, INPUTS));
    const cached = join(entry, 'assembly', TEMPLATE);
    const original = readFileSync(cached, 'utf8');
    writeFileSync(cached, original.replace('"Resources"', '"Resourcez"'));
    const before = real.runs();
    const out = join(tempDir(), 'assembly-6');
    await synth(profiles, out);
    expect(real.runs()).toBe(before + 1);
    expect(readFileSync(join(out, TEMPLATE), 'utf8')).toBe(original);
    expect(readFileSync(cached, 'utf8')).toBe(original);
  });

  it(`keeps the ${ASSEMBLY_CACHE_ENTRIES} most recent entries`, async () => {
    const fake: Synthesizer = async (_p, outDir) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'manifest.json'), '{}');
      return { assemblyDir: outDir, hasAssets: false, templateBodySize: 2 };
    };
    const dir = tempDir();
    for (let i = 0; i < ASSEMBLY_CACHE_ENTRIES + 3; i++) await withAssemblyCache(fake, { dir, inputs: { ...INPUTS, toolVersion: `0.0.${i}` } })(profiles, join(tempDir(), 'a'));
    expect(readdirSync(dir).filter((n) => /^[a-f0-9]{64}$/.test(n))).toHaveLength(ASSEMBLY_CACHE_ENTRIES);
  });
});

describe('the key inputs of this installation', () => {
  it('name the installed aws-cdk-lib and constructs, a digest of the code, and the CDK_ variables', () => {
    const inputs = defaultKeyInputs({ CDK_CONTEXT_JSON: '{}', HOME: '/x' });
    expect(inputs.cdkLibVersion).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version);
    expect(inputs.constructsVersion).toMatch(/^10\./);
    expect(inputs.templateSource).toMatch(/^[a-f0-9]{64}$/);
    expect(inputs.context).toEqual({ CDK_CONTEXT_JSON: '{}' });
  });

  it('live in $XDG_CACHE_HOME/benchling-deploy/assemblies, else ~/.cache', () => {
    expect(assemblyCacheDir({ XDG_CACHE_HOME: '/c' }, '/h')).toBe('/c/benchling-deploy/assemblies');
    expect(assemblyCacheDir({}, '/h')).toBe('/h/.cache/benchling-deploy/assemblies');
  });
});
