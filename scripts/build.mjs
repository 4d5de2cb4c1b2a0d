// Bundles the CLI into dist/ so the first frame does not wait on hundreds of module loads.
// Heavy dependencies (AWS SDK, aws-cdk-lib, execa) stay external and are imported lazily.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { boundInkCaches } from './ink-caches.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { cli: 'bin/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Less to parse before the first frame; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // React's production build: its development build is twice the size and slower to load and render.
  define: { 'process.env.BENCHLING_DEPLOY_VERSION': JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  external: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', 'execa', 'react-devtools-core'],
  plugins: [boundInkCaches],
  banner: { js: "import { createRequire as __bdCreateRequire } from 'node:module'; const require = __bdCreateRequire(import.meta.url);" },
});
