import React from 'react';
import type { OperationProps } from './Deploy.js';
import { OperationView, operationLine } from './Deploy.js';

/** The promote screen (`P`): dev's running image to prod, refusals in words, `prod` typed to confirm. */
export function Promote(props: OperationProps): React.JSX.Element {
  const op = props.operation;
  const intro =
    op.phase === 'preparing' || op.phase === 'refused'
      ? [operationLine('what', "prod gets the exact image (digest) dev's tasks run now", undefined, true)]
      : [];
  return <OperationView {...props} intro={intro} />;
}
