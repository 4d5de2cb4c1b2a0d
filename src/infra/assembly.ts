import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readUntrustedText } from '../config/untrusted-file.js';

/**
 * Reading a cloud assembly written by {@link synthesizeStack}, without
 * loading aws-cdk-lib: the deploy pre-flight asks it whether `cdk bootstrap`
 * is needed before it starts the CLI.
 */

interface ManifestArtifact {
  readonly type?: string;
  readonly properties?: { readonly file?: string; readonly templateFile?: string };
  readonly metadata?: Metadata;
  /** Newer assemblies keep a stack's metadata in this file beside the manifest. */
  readonly additionalMetadataFile?: string;
}

type Metadata = Record<string, readonly { readonly type?: string }[]>;

interface AssetManifest {
  readonly files?: Record<string, { readonly source?: { readonly path?: string } }>;
  readonly dockerImages?: Record<string, unknown>;
}

/**
 * The assets a deploy would have to upload, by id. Empty means `cdk deploy`
 * needs no bootstrap bucket: the template goes inline. Two shapes count:
 * asset manifests (modern synthesizers) and `aws:cdk:asset` metadata (the
 * legacy synthesizer, which records assets as parameters).
 */
export function assemblyAssets(assemblyDir: string): string[] {
  const manifest = readManifest(assemblyDir);
  const found: string[] = [];
  const templates = new Set(Object.values(manifest.artifacts ?? {}).flatMap((a) => (a.type === 'aws:cloudformation:stack' && a.properties?.templateFile ? [a.properties.templateFile] : [])));
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:asset-manifest' && artifact.properties?.file) {
      const assets = readJson<AssetManifest>(join(assemblyDir, artifact.properties.file));
      // A stack's own template, listed as a file asset when it is too large to go inline, is not counted: synth measures that itself.
      const files = Object.entries(assets.files ?? {}).filter(([, f]) => !templates.has(f.source?.path ?? ''));
      for (const id of [...files.map(([id]) => id), ...Object.keys(assets.dockerImages ?? {})]) found.push(`${artifactId}:${id}`);
    }
    const metadata: Metadata[] = [artifact.metadata ?? {}];
    if (artifact.additionalMetadataFile) metadata.push(readJson<Metadata>(join(assemblyDir, artifact.additionalMetadataFile)));
    for (const entries of metadata.flatMap((m) => Object.values(m))) {
      for (const entry of entries) if (entry.type === 'aws:cdk:asset') found.push(`${artifactId}:metadata`);
    }
  }
  return found;
}

/** Whether deploying this assembly needs a bootstrapped account (`cdk bootstrap`) to upload assets. */
export function assemblyHasAssets(assemblyDir: string): boolean {
  return assemblyAssets(assemblyDir).length > 0;
}

/** A cloud assembly's manifest as it is written (its version, its artifacts); a UserError when it cannot be read as JSON. */
export function readManifest(assemblyDir: string): { version?: unknown; artifacts?: Record<string, ManifestArtifact> } {
  return readJson(join(assemblyDir, 'manifest.json'));
}

/** A manifest of tens of KiB: a file past this is not one, and is not read whole (the folder may be anyone's, as `synth --out` names). */
const ASSEMBLY_JSON_MAX_BYTES = 16 * 1024 * 1024;

function readJson<T>(path: string): T {
  let text: string;
  try {
    text = readUntrustedText(path, ASSEMBLY_JSON_MAX_BYTES);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); is this a cloud assembly written by \`benchling-deploy synth\`?`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UserError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
}
