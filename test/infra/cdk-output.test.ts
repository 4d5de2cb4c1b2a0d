import { describe, expect, it } from 'vitest';
import { parseResourceEvent, resourceLabel, summarizeDiff, isFailure } from '../../src/infra/cdk-output.js';

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

  it("reads cdk 2.1148's construct path and (LogicalId) apart from the reason", () => {
    const line = 'BenchlingWebhookStack | 4/31 | 10:31:07 AM | UPDATE_FAILED        | AWS::ECS::Service                           | Dev/Service/Service (DevServiceB35D2857) Resource handler returned message: "Circuit breaker (x)"';
    const event = parseResourceEvent(line)!;
    expect(event).toEqual({
      stack: 'BenchlingWebhookStack', done: 4, total: 31, time: '10:31:07 AM', status: 'UPDATE_FAILED', resourceType: 'AWS::ECS::Service',
      constructPath: 'Dev/Service/Service', logicalId: 'DevServiceB35D2857', reason: 'Resource handler returned message: "Circuit breaker (x)"',
    });
    expect(resourceLabel(event)).toBe('Dev/Service/Service (DevServiceB35D2857)');
    // With a path but no reason, and a reason that merely starts with parentheses after a bare logical id.
    expect(parseResourceEvent('S | 1/3 | 10:31:07 AM | CREATE_COMPLETE | AWS::ECS::Cluster | Shared/Cluster (SharedCluster6C835190) ')).toMatchObject({ constructPath: 'Shared/Cluster', logicalId: 'SharedCluster6C835190', reason: undefined });
    expect(parseResourceEvent('S | 1/3 | 10:31:07 AM | UPDATE_FAILED | AWS::ECS::Service | DevService (service x) failed')).toEqual(expect.objectContaining({ logicalId: 'DevService', reason: '(service x) failed' }));
    expect(parseResourceEvent('S | 1/3 | 10:31:07 AM | UPDATE_FAILED | AWS::ECS::Service | DevService (service x) failed')!.constructPath).toBeUndefined();
  });

  it('keeps only the changes of a diff', () => {
    const out = ['Stack S', 'Parameters', '[~] Parameter DevImageTag: {"Default":"a"} to {"Default":"b"}', 'Resources', '[~] AWS::ECS::TaskDefinition DevTaskDefinition X replace', ' └─ [~] ContainerDefinitions (requires replacement)', '', 'Outputs', '✨  Number of stacks with differences: 1'].join('\n');
    expect(summarizeDiff(out)).toEqual(['[~] Parameter DevImageTag: {"Default":"a"} to {"Default":"b"}', '[~] AWS::ECS::TaskDefinition DevTaskDefinition X replace', ' └─ [~] ContainerDefinitions (requires replacement)']);
  });
});
