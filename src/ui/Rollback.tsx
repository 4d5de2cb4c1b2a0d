import React from 'react';
import type { OperationProps } from './Deploy.js';
import { OperationView, operationLine } from './Deploy.js';

/** The rollback screen (`R`): back to the previous image in deploy.json's history. */
export function Rollback(props: OperationProps): React.JSX.Element {
  const op = props.operation;
  const intro =
    op.phase === 'preparing' || op.phase === 'refused'
      ? [operationLine('what', `${op.environment} goes back to the image it ran before its last deploy (deploy.json history)`, undefined, true)]
      : [];
  return <OperationView {...props} intro={intro} />;
}
