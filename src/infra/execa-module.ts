/**
 * execa, an ES module only, imported when cdk first runs (src/infra/runner.ts). dist/dashboard.cjs
 * runs as a vm.Script, which has no loader for import(): there this module is replaced by one
 * that asks the front to import it (scripts/dashboard-bundle.mjs).
 */
export function importExeca(): Promise<typeof import('execa')> {
  return import('execa');
}
