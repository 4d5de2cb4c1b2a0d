import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements. Each construct acknowledges its own findings right
 * where it creates the resource, through {@link acknowledge}, so the reason
 * sits next to the code it excuses. cdk-nag itself is loaded only by the
 * tests (and whoever runs the AwsSolutions pack), never by `synth` or `deploy`.
 */

export interface NagAcknowledgement {
  /**
   * A cdk-nag finding id, e.g. `AwsSolutions-IAM5[Resource::*]` (cdk-nag 3
   * needs the exact finding), or a `CloudFormation-Validate::W1234` warning.
   */
  readonly id: string;
  /** Why the finding is accepted: a full sentence a security reviewer can check. */
  readonly reason: string;
}

/** cdk-nag's AwsSolutions findings, and aws-cdk-lib's own CloudFormation validator's warnings. */
const FINDING_ID_RE = /^(AwsSolutions-[A-Z]+[0-9]+(\[.+\])?|CloudFormation-Validate::[EW][0-9]+)$/;
const MIN_REASON_LENGTH = 30;

/** Records acknowledgements on `scope` (and so its children); refuses an id or reason that says nothing. */
export function acknowledge(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
  const problems = acknowledgements.flatMap((a) => [
    ...(FINDING_ID_RE.test(a.id) ? [] : [`${scope.node.path}: "${a.id}" is not an AwsSolutions finding id (or CloudFormation-Validate::<rule>)`]),
    ...(a.reason.trim().length >= MIN_REASON_LENGTH ? [] : [`${scope.node.path}: ${a.id}: the reason must explain the acknowledgement (${MIN_REASON_LENGTH}+ characters)`]),
  ]);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  // Validations records each acknowledgement with the call stack it was made from, whatever the app's
  // stack-trace settings: parsed from an Error's text (about 7 ms of synth), for the assembly's metadata file
  // alone, with this machine's paths. None is captured (the file keeps aws-cdk-lib's line saying no frame was), as
  // synth captures no creation stacks either. An error thrown in the call would have no frames: a refused id (the
  // check above refuses those first) or a deprecation under JSII_DEPRECATED=fail.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    Validations.of(scope).acknowledge(...acknowledgements);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export interface RecordedAcknowledgement {
  /** Construct path the acknowledgement is attached to. */
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement under `root`, in tree order: what the README's security section lists. */
export function listAcknowledgements(root: IConstruct): RecordedAcknowledgement[] {
  const found: RecordedAcknowledgement[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: c.node.path, id: id.replace(/^[^:]+::/, ''), reason });
      }
    }
  }
  return found;
}
