import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const UI = join(SRC, 'ui');

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

/**
 * Folders depend one way: config <- state <- infra <- ui <- bin. A file may
 * import its own folder, the folders before it, and the modules at the root
 * of src (which import no folder). Type-only imports count too: a type is a
 * dependency on the folder that owns it. The screens know nothing of infra,
 * not even its types: bin hands them services shaped by src/ui/services.ts.
 */
const LAYERS = ['config', 'state', 'infra', 'ui'] as const;
const ALLOWED: Record<(typeof LAYERS)[number], readonly string[]> = {
  config: ['config'],
  state: ['config', 'state'],
  infra: ['config', 'state', 'infra'],
  ui: ['config', 'state', 'ui'],
};

/** Every import of a source file, value or type, static or dynamic. */
function allImports(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** The folders of src a file imports (`config`, `state`, ...), `root` for src's own modules. */
function foldersImported(file: string, text = readFileSync(file, 'utf8')): { spec: string; folder: string }[] {
  return allImports(text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const target = relative(SRC, resolve(dirname(file), spec));
      if (target.startsWith('..')) return { spec, folder: 'outside src' };
      const parts = target.split(sep);
      return { spec, folder: parts.length === 1 ? 'root' : parts[0] };
    });
}

describe('src folders depend one way: config <- state <- infra <- ui (which takes no infra)', () => {
  for (const layer of LAYERS) {
    it(`src/${layer} imports only ${[...ALLOWED[layer], 'the root modules'].join(', ')}`, () => {
      const allowed = new Set<string>([...ALLOWED[layer], 'root']);
      const files = sourceFiles(join(SRC, layer));
      expect(files.length).toBeGreaterThan(3);
      const wrong = files.flatMap((f) => foldersImported(f).filter((x) => !allowed.has(x.folder)).map((x) => `${relative(SRC, f)} imports ${x.spec}`));
      expect(wrong).toEqual([]);
    });
  }

  it("src's root modules import no folder of src", () => {
    const roots = readdirSync(SRC).filter((f) => /\.tsx?$/.test(f));
    expect(roots.length).toBeGreaterThan(0);
    const wrong = roots.flatMap((f) => foldersImported(join(SRC, f)).filter((x) => x.folder !== 'root').map((x) => `${f} imports ${x.spec}`));
    expect(wrong).toEqual([]);
  });

  it('the check sees a wrong-way import, type-only, re-exported and dynamic ones too', () => {
    const text = "import type { X } from '../infra/deploy.js';\nexport { y } from '../state/health.js';\nconst m = await import('../ui/App.js');\nimport { z } from './paths.js';\nimport { e } from '../errors.js';";
    expect(foldersImported(join(SRC, 'config', 'probe.ts'), text).map((x) => x.folder)).toEqual(['infra', 'state', 'config', 'root', 'ui']);
  });
});
