import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliCredentialsStackSynthesizer, type FileAssetSource, type ISynthesisSession } from 'aws-cdk-lib';
import { stringify as yamlStringify } from 'yaml';
import { INLINE_TEMPLATE_LIMIT } from '../config/names.js';
import { yamlLength } from './yaml-size.js';

/**
 * The template's size as cdk measures it before sending: its YAML, written
 * the way cdk writes it (yaml 2, the YAML 1.1 schema, no line folding), in
 * UTF-16 code units (JavaScript string length), compared to {@link INLINE_TEMPLATE_LIMIT}.
 */
export function inlineTemplateSize(template: unknown): number {
  // Counted without writing the YAML (yaml-size.ts) unless the template holds what only yaml knows how it writes.
  return yamlLength(template) ?? yamlStringify(template, { schema: 'yaml-1.1', lineWidth: 0 }).length;
}

/**
 * Inline when it fits, uploaded when it does not. A template cdk can send
 * inline (up to {@link INLINE_TEMPLATE_LIMIT}) is emitted as the legacy
 * synthesizer does: no assets, no bootstrap needed. A larger one becomes the
 * stack's template asset, as with `CliCredentialsStackSynthesizer`: published
 * to the bootstrap bucket with the caller's own credentials (no bootstrap
 * roles) by every cdk command that needs it. That matters for `cdk diff
 * --method=change-set`: it publishes a template asset before creating its
 * change set, but it never uploads an inline template that is too large, so
 * its change set would name an S3 object that does not exist.
 */
export class InlineOrUploadedSynthesizer extends CliCredentialsStackSynthesizer {
  /** The template's inline size, known once synthesized. */
  public bodySize = 0;
  /** The template as written, parsed once here (synth returns it rather than reading the file again). */
  public template: Record<string, any> | undefined;
  /** Whether the template was made an asset (too large to go inline). */
  public uploaded = false;
  private source: FileAssetSource | undefined;

  protected override synthesizeTemplate(session: ISynthesisSession, lookupRoleArn?: string, lookupRoleExternalId?: string, lookupRoleAdditionalOptions?: { [key: string]: any }): FileAssetSource {
    // Written once: super.synthesize() asks again for the same template.
    this.source ??= super.synthesizeTemplate(session, lookupRoleArn, lookupRoleExternalId, lookupRoleAdditionalOptions);
    return this.source;
  }

  public override synthesize(session: ISynthesisSession): void {
    const source = this.synthesizeTemplate(session);
    this.template = JSON.parse(readFileSync(join(session.outdir, source.fileName!), 'utf8')) as Record<string, any>;
    this.bodySize = inlineTemplateSize(this.template);
    if (this.bodySize <= INLINE_TEMPLATE_LIMIT) {
      this.emitArtifact(session);
      return;
    }
    this.uploaded = true;
    super.synthesize(session);
  }
}
