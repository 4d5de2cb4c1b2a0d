import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSdkModule } from '../../src/state/sdk-modules.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('loadSdkModule', () => {
  it('loads a client package as CommonJS (its dist-cjs build), the same module on every call', () => {
    const sts = loadSdkModule('@aws-sdk/client-sts');
    expect(typeof sts.STSClient).toBe('function');
    expect(loadSdkModule('@aws-sdk/client-sts')).toBe(sts);
    const cache = createRequire(join(ROOT, 'src', 'state', 'sdk-modules.ts')).cache;
    expect(Object.keys(cache).some((f) => /@aws-sdk\/client-sts\/dist-cjs\/index\.js$/.test(f))).toBe(true);
  });

  it('is the only way src/ loads an AWS SDK package at run time (no import() or value import of one)', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?<!typeof\s)\bimport\(\s*'(@aws-sdk\/[^']+)'\s*\)|^import\s+(?!type\s)[^;]*?from\s+'(@aws-sdk\/[^']+)'/gms)) offenders.push(`${file}: ${m[1] ?? m[2]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('knows every AWS SDK client the package depends on', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const text = readFileSync(join(ROOT, 'src', 'state', 'sdk-modules.ts'), 'utf8');
    const listed = [...text.matchAll(/^\s+'(@aws-sdk\/[^']+)': typeof import\('\1'\);$/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@aws-sdk/')).sort());
  });
});
