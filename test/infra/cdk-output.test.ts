import { describe, expect, it } from 'vitest';
import { parseResourceEvent, summarizeDiff, isFailure } from '../../src/infra/cdk-output.js';

describe('cdk output', () => {
  it('parses progress lines, with and without a reason, coloured or not', () => {
    expect(parseResourceEvent('BenchlingWebhookStack | 3/12 | 12:00:09 PM | UPDATE_COMPLETE      | AWS::ECS::Service | DevService')).toEqual({
      stack: 'BenchlingWebhookStack', done: 3, total: 12, time: '12:00:09 PM', status: 'UPDATE_COMPLETE', resourceType: 'AWS::ECS::Service', logicalId: 'DevService', reason: undefined,
    });
    const failed = parseResourceEvent('\u001b[31mS | 1/12 | 12:00:05 | UPDATE_FAILED        | AWS::ECS::Service | DevService Resource handler returned message: "Circuit breaker"\u001b[39m');
    expect(failed).toMatchObject({ status: 'UPDATE_FAILED', logicalId: 'DevService', reason: 'Resource handler returned message: "Circuit breaker"' });
    expect(isFailure(failed!.status)).toBe(true);
    expect(parseResourceEvent('BenchlingWebhookStack: deploying... [1/1]')).toBeUndefined();
    expect(parseResourceEvent('')).toBeUndefined();
  });

  it('keeps only the changes of a diff', () => {
    const out = ['Stack S', 'Parameters', '[~] Parameter DevImageTag: {"Default":"a"} to {"Default":"b"}', 'Resources', '[~] AWS::ECS::TaskDefinition DevTaskDefinition X replace', ' └─ [~] ContainerDefinitions (requires replacement)', '', 'Outputs', '✨  Number of stacks with differences: 1'].join('\n');
    expect(summarizeDiff(out)).toEqual(['[~] Parameter DevImageTag: {"Default":"a"} to {"Default":"b"}', '[~] AWS::ECS::TaskDefinition DevTaskDefinition X replace', ' └─ [~] ContainerDefinitions (requires replacement)']);
  });
});
