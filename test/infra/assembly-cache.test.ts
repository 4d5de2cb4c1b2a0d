/**
 * Assemblies reused by content key (src/infra/assembly-cache.ts): a second
 * plan of the same profiles copies the assembly synthesized before instead of
 * synthesizing; a change of anything the template depends on synthesizes anew.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSEMBLY_CACHE_ENTRIES, assemblyCacheDir, assemblyKey, codeDigest, defaultKeyInputs, withAssemblyCache, type AssemblyKeyInputs } from '../../src/infra/assembly-cache.js';
import type { Synthesizer } from '../../src/infra/deploy.js';
import { synthesizeStackLazily } from '../../src/infra/operations.js';
import { bundleScript } from '../helpers/bundle.js';
import { ROOT } from '../helpers/cli.js';
import { linkInPlace, SECRET, tempDir } from '../helpers/fixtures.js';
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

/** A synthesizer that writes a small assembly with a folder in it, counting its runs. */
function smallAssembly(): { synth: Synthesizer; runs: () => number } {
  let runs = 0;
  return {
    synth: async (_profiles, outDir) => {
      runs++;
      mkdirSync(join(outDir, 'asset.abc', 'lib'), { recursive: true });
      writeFileSync(join(outDir, 'manifest.json'), '{"version":"48.0.0"}');
      writeFileSync(join(outDir, TEMPLATE), '{"Resources":{}}');
      writeFileSync(join(outDir, 'asset.abc', 'lib', 'index.js'), 'exports.handler = async () => ({});');
      return { assemblyDir: outDir, hasAssets: true, templateBodySize: 16 };
    },
    runs: () => runs,
  };
}

describe('what a deploy sends, read only from folders and files of the user alone', () => {
  const profiles = stackProfiles({ prod: {}, dev: {} });
  /** A cache with one entry, its paths, and a plan through it that tells whether it synthesized. */
  async function cached() {
    const dir = join(tempDir('bd-assembly-own-'), 'assemblies');
    const counted = smallAssembly();
    const plan = withAssemblyCache(counted.synth, { dir, inputs: INPUTS });
    await plan(profiles, join(tempDir(), 'out'));
    const entry = join(dir, assemblyKey(profiles, INPUTS));
    const synthesized = async () => {
      const before = counted.runs();
      const out = join(tempDir(), 'out');
      await plan(profiles, out);
      expect(readFileSync(join(out, TEMPLATE), 'utf8')).toBe('{"Resources":{}}');
      return counted.runs() > before;
    };
    expect(await synthesized()).toBe(false);
    return { dir, entry, assembly: join(entry, 'assembly'), synthesized };
  }

  it('an entry, a folder of it or a file of it that group or others may write is not served: synthesized anew, and the new entry is', async () => {
    const { dir, entry, assembly, synthesized } = await cached();
    const paths = [entry, assembly, join(assembly, 'asset.abc'), join(assembly, 'asset.abc', 'lib'), join(assembly, 'asset.abc', 'lib', 'index.js'), join(assembly, TEMPLATE), join(entry, 'meta.json')];
    for (const path of paths) {
      chmodSync(path, statSync(path).mode | 0o002);
      expect(await synthesized(), path).toBe(true);
      // The fresh synth kept its own entry in place of that one.
      expect(statSync(path).mode & 0o022, path).toBe(0);
      expect(await synthesized(), path).toBe(false);
    }
    // The cache folder itself: not read, and nothing written into it.
    chmodSync(dir, 0o777);
    const before = statSync(entry, { bigint: true });
    expect(await synthesized()).toBe(true);
    expect(await synthesized()).toBe(true);
    expect(readdirSync(dir)).toEqual([assemblyKey(profiles, INPUTS)]);
    expect(statSync(entry, { bigint: true }).ino).toBe(before.ino);
    chmodSync(dir, 0o700);
    expect(await synthesized()).toBe(false);
  });

  it('a link in place of the cache folder, the entry, a folder or a file of it is not followed, even to the same bytes', async () => {
    for (const place of ['cache', 'entry', 'assembly', 'asset folder', 'asset file', 'template', 'meta']) {
      const { dir, entry, assembly, synthesized } = await cached();
      const path = { cache: dir, entry, assembly, 'asset folder': join(assembly, 'asset.abc'), 'asset file': join(assembly, 'asset.abc', 'lib', 'index.js'), template: join(assembly, TEMPLATE), meta: join(entry, 'meta.json') }[place]!;
      const elsewhere = linkInPlace(path);
      expect(await synthesized(), place).toBe(true);
      // What the link stood for is as it was: nothing was written through it.
      expect(existsSync(elsewhere), place).toBe(true);
      if (place === 'cache') expect(readdirSync(elsewhere), place).toEqual([assemblyKey(profiles, INPUTS)]);
    }
  });

  it('a FIFO in place of a file of the entry is not waited on: synthesized anew, at once (in a process of its own, which would hang)', async () => {
    const { entry, assembly } = await cached();
    const template = join(assembly, TEMPLATE);
    rmSync(template);
    execFileSync('mkfifo', [template]);
    const script = join(tempDir('bd-assembly-fifo-'), 'plan.ts');
    writeFileSync(
      script,
      [
        `import { withAssemblyCache } from ${JSON.stringify(join(ROOT, 'src', 'infra', 'assembly-cache.ts'))};`,
        `import { mkdirSync, writeFileSync } from 'node:fs';`,
        `let runs = 0;`,
        `const synth = async (_p, out) => { runs++; mkdirSync(out, { recursive: true }); writeFileSync(out + '/manifest.json', '{}'); return { assemblyDir: out, hasAssets: false, templateBodySize: 2 }; };`,
        `await withAssemblyCache(synth, { dir: ${JSON.stringify(join(entry, '..'))}, inputs: ${JSON.stringify(INPUTS)} })(${JSON.stringify(profiles)}, ${JSON.stringify(join(tempDir(), 'out'))});`,
        `console.log(runs);`,
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [await bundleScript(script)], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'the plan did not end within 10 s').toBeUndefined();
    expect(r.stdout.trim()).toBe('1');
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

  it("the code's digest covers the ESM bundle's files and dist/synth.cjs (the dashboard's worker builds the template there), not caches or maps", () => {
    const dist = tempDir('bd-digest-');
    for (const [name, text] of [['cli.js', 'a'], ['synth.cjs', 'b'], ['synth.cjs.cache', 'c'], ['cli.js.map', 'd']]) writeFileSync(join(dist, name), text);
    const before = codeDigest(dist);
    writeFileSync(join(dist, 'synth.cjs'), 'b2');
    const synthChanged = codeDigest(dist);
    expect(synthChanged).not.toBe(before);
    writeFileSync(join(dist, 'cli.js'), 'a2');
    expect(codeDigest(dist)).not.toBe(synthChanged);
    const now = codeDigest(dist);
    writeFileSync(join(dist, 'synth.cjs.cache'), 'c2');
    writeFileSync(join(dist, 'cli.js.map'), 'd2');
    expect(codeDigest(dist)).toBe(now);
  });

  it('live in $XDG_CACHE_HOME/benchling-deploy/assemblies when that is absolute (the XDG rule), else ~/.cache', () => {
    expect(assemblyCacheDir({ XDG_CACHE_HOME: '/c' }, '/h')).toBe('/c/benchling-deploy/assemblies');
    expect(assemblyCacheDir({ XDG_CACHE_HOME: 'relative/cache' }, '/h')).toBe('/h/.cache/benchling-deploy/assemblies');
    expect(assemblyCacheDir({}, '/h')).toBe('/h/.cache/benchling-deploy/assemblies');
  });
});
