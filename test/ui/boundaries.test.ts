import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const UI = join(import.meta.dirname, '..', '..', 'src', 'ui');

/** Value imports of a source file (type-only imports are erased and do not count). */
function valueImports(text: string): string[] {
  return [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]);
}

describe('src/ui', () => {
  it('imports no AWS client, no execa, no child process, and nothing of src/infra but types', () => {
    const files = readdirSync(UI).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const imports = valueImports(readFileSync(join(UI, f), 'utf8'));
      for (const spec of imports) {
        expect(spec, `${f} imports ${spec}`).not.toMatch(/^@aws-sdk\/|^execa$|^node:child_process$|\/infra\//);
      }
    }
  });

  it('screens start no timer: only the roots (App, the run- entries) do', () => {
    for (const f of readdirSync(UI).filter((x) => x.endsWith('.tsx') && x !== 'App.tsx' && !x.startsWith('run-'))) {
      expect(readFileSync(join(UI, f), 'utf8'), f).not.toMatch(/set(Timeout|Interval|Immediate)\(/);
    }
  });
});
