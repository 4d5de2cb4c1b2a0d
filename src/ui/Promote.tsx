import React from 'react';
import type { OperationProps } from './Deploy.js';
import { OperationView, operationLine } from './Deploy.js';

/** Columns before a plan row's value: two spaces, the label padded to 9, a space. */
const ROW_INDENT = 12;

/**
 * The promote screen (`P`): dev's running image to prod, refusals in words,
 * `prod` typed to confirm. The digest dev runs is what prod will run: when
 * its row would be cut, the digest moves to a line of its own, whole.
 */
export function Promote(props: OperationProps): React.JSX.Element {
  const op = props.operation;
  const intro =
    op.phase === 'preparing' || op.phase === 'refused'
      ? [operationLine('what', "prod gets the exact image (digest) dev's tasks run now", undefined, true)]
      : [];
  const runs = op.plan?.rows.find((r) => r.label === 'dev runs');
  const digest = runs ? /^(.*) = (sha256:[0-9a-f]+)$/.exec(runs.value) : null;
  if (!op.plan || !runs || !digest || ROW_INDENT + runs.value.length <= props.width) return <OperationView {...props} intro={intro} />;
  const rows = op.plan.rows.map((r) => (r === runs ? { ...r, value: `${digest[1]} (digest below)` } : r));
  const whole = [...intro, operationLine('digest-label', `dev runs ${digest[1]} =`, undefined, true), operationLine('digest', digest[2])];
  return <OperationView {...props} operation={{ ...op, plan: { ...op.plan, rows } }} intro={whole} />;
}
