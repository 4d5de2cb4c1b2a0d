import { describe, expect, it } from 'vitest';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { UserErrors } from '../../src/errors.js';
import { EnvironmentRuntime, type EnvironmentRuntimeProps } from '../../src/infra/environment-runtime.js';
import { acknowledge, listAcknowledgements } from '../../src/infra/nag.js';
import { SharedInfrastructure } from '../../src/infra/shared-infrastructure.js';
import { WebhookStack } from '../../src/infra/webhook-stack.js';
import { QUILT_ARN } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

function freshStack(): Stack {
  return new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
}

function runtimeProps(shared: SharedInfrastructure, overrides: Partial<EnvironmentRuntimeProps> = {}): EnvironmentRuntimeProps {
  return {
    environment: 'prod',
    shared,
    quiltStackArn: QUILT_ARN,
    imageRepository: '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling',
    imageTag: '0.7.0',
    secretName: 'quiltdata/benchling-webhook/default/acme',
    packageBucket: 'acme-packages',
    minCapacity: 2,
    maxCapacity: 10,
    logLevel: 'INFO',
    ...overrides,
  };
}

function thrown(fn: () => unknown): UserErrors {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserErrors) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('EnvironmentRuntime props', () => {
  it('accepts good props', () => {
    const stack = freshStack();
    const shared = new SharedInfrastructure(stack, 'Shared');
    expect(() => new EnvironmentRuntime(stack, 'Prod', runtimeProps(shared))).not.toThrow();
  });

  it('lists every bad prop at once, naming the construct and the prop', () => {
    const stack = freshStack();
    const shared = new SharedInfrastructure(stack, 'Shared');
    const error = thrown(
      () =>
        new EnvironmentRuntime(
          stack,
          'Prod',
          runtimeProps(shared, {
            quiltStackArn: 'arn:aws:s3:::not-a-stack',
            imageRepository: 'docker.io/library/nginx',
            imageTag: 'bad tag',
            secretName: 'no spaces allowed',
            minCapacity: 5,
            maxCapacity: 2,
            logLevel: 'TRACE' as never,
            cpu: 300,
            listenerPort: 5000,
          }),
        ),
    );
    expect(error.problems).toHaveLength(8);
    expect(error.message).toMatch(/^S\/Prod: quiltStackArn: expected a CloudFormation stack ARN.*got "arn:aws:s3:::not-a-stack"$/m);
    expect(error.message).toMatch(/^S\/Prod: imageRepository: expected an ECR repository URI/m);
    expect(error.message).toMatch(/^S\/Prod: imageTag: expected a Docker tag or sha256:<64 hex>, got "bad tag"$/m);
    expect(error.message).toMatch(/^S\/Prod: secretName: expected a Secrets Manager secret name/m);
    expect(error.message).toMatch(/^S\/Prod: minCapacity: expected at most maxCapacity \(2\), got 5$/m);
    expect(error.message).toMatch(/^S\/Prod: logLevel: expected one of DEBUG, INFO, WARNING, ERROR, got "TRACE"$/m);
    expect(error.message).toMatch(/^S\/Prod: cpu: expected one of 256, 512, 1024, 2048, 4096/m);
    expect(error.message).toMatch(/^S\/Prod: listenerPort: expected a TCP port 1\.\.65535 other than 5000, got 5000$/m);
    expect(error.exitCode).toBe(2);
  });

  it('refuses "latest" for prod, and accepts it for dev', () => {
    const stack = freshStack();
    const shared = new SharedInfrastructure(stack, 'Shared');
    expect(() => new EnvironmentRuntime(stack, 'Prod', runtimeProps(shared, { imageTag: 'latest' }))).toThrow(/imageTag: expected a fixed version or digest for prod, not "latest"/);
    expect(() => new EnvironmentRuntime(stack, 'Dev', runtimeProps(shared, { environment: 'dev', imageTag: 'latest' }))).not.toThrow();
  });

  it('refuses capacities that are not whole numbers in range, and memory that does not suit the CPU', () => {
    const stack = freshStack();
    const shared = new SharedInfrastructure(stack, 'Shared');
    expect(() => new EnvironmentRuntime(stack, 'Prod', runtimeProps(shared, { minCapacity: 1.5, maxCapacity: 0 }))).toThrow(
      /minCapacity: expected a whole number 0\.\.1000, got 1\.5\n.*maxCapacity: expected a whole number 1\.\.1000, got 0/,
    );
    expect(() => new EnvironmentRuntime(stack, 'Prod', runtimeProps(shared, { cpu: 256, memoryMiB: 4096 }))).toThrow(/memoryMiB: expected 512, 1024 or 2048 for cpu 256, got 4096/);
  });

  it('refuses a verification switch that is not a boolean, and a China repository URI is accepted', () => {
    const stack = freshStack();
    const shared = new SharedInfrastructure(stack, 'Shared');
    expect(() => new EnvironmentRuntime(stack, 'Prod', runtimeProps(shared, { webhookVerification: 'yes' as never }))).toThrow(/webhookVerification: expected true or false, got "yes"/);
    const cn = new EnvironmentRuntime(stack, 'Dev', runtimeProps(shared, { environment: 'dev', imageRepository: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/acme/hook' }));
    expect(stack.resolve(cn.parameters.imageRegion.default)).toBe('cn-north-1');
    expect(stack.resolve(cn.parameters.imageRepositoryName.default)).toBe('acme/hook');
  });

  it('refuses an environment it does not know', () => {
    const stack = freshStack();
    const shared = new SharedInfrastructure(stack, 'Shared');
    expect(() => new EnvironmentRuntime(stack, 'Qa', runtimeProps(shared, { environment: 'qa' as never }))).toThrow(/environment: expected one of dev, prod, got "qa"/);
  });
});

describe('SharedInfrastructure props', () => {
  it('lists every bad prop at once', () => {
    const error = thrown(
      () =>
        new SharedInfrastructure(freshStack(), 'Shared', {
          natGateways: 3,
          vpcCidr: '10.0.0.0/24',
          stageAllowLists: { prod: ['203.0.113.0/33', 'nope'], 'bad stage': ['192.0.2.0/24'], dev: [] },
        }),
    );
    expect(error.message).toMatch(/S\/Shared: natGateways: expected a whole number 1\.\.2.*got 3/);
    expect(error.message).toMatch(/S\/Shared: vpcCidr: expected an IPv4 CIDR from \/16 to \/20, got "10\.0\.0\.0\/24"/);
    expect(error.message).toMatch(/S\/Shared: stageAllowLists\.prod: expected IPv4 CIDRs such as 203\.0\.113\.0\/24, got "203\.0\.113\.0\/33"/);
    expect(error.message).toMatch(/stageAllowLists\.prod: .*got "nope"/);
    expect(error.message).toMatch(/stageAllowLists\.bad stage: expected a stage name/);
    expect(error.message).toMatch(/stageAllowLists\.dev: expected at least one IPv4 CIDR/);
    expect(error.problems).toHaveLength(6);
  });
});

describe('WebhookStack props', () => {
  it('refuses profiles without prod', () => {
    const { prod: _prod, ...noProd } = stackProfiles();
    expect(() => new WebhookStack(new App(), 'W', { profiles: noProd as never })).toThrow(/W: profiles\.prod: expected a prod profile: prod is required/);
  });

  it('refuses a profile paired with the other environment', () => {
    const profiles = stackProfiles();
    const swapped = { ...profiles, dev: profiles.prod };
    expect(() => new WebhookStack(new App(), 'W', { profiles: swapped })).toThrow(/profiles\.dev: expected a profile whose environment is "dev" \(profile "default" is for "prod"\)/);
  });

  it('refuses a bad stack name', () => {
    const profiles = stackProfiles();
    expect(() => new WebhookStack(new App(), 'W', { profiles: { ...profiles, place: { ...profiles.place, stackName: '1-bad_name' } } })).toThrow(
      /profiles\.place\.stackName: expected a CloudFormation stack name, got "1-bad_name"/,
    );
  });
});

describe('acknowledge', () => {
  it('refuses an acknowledgement without a real reason or with an unknown id', () => {
    const stack = freshStack();
    expect(() => acknowledge(stack, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'needed' })).toThrow(/the reason must explain the acknowledgement/);
    expect(() => acknowledge(stack, { id: 'IAM5', reason: 'a reason that is long enough to read as one' })).toThrow(/"IAM5" is not an AwsSolutions finding id/);
  });

  it('records the acknowledgement without a call stack, and leaves the stack-trace limit as it was', () => {
    const stack = freshStack();
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      acknowledge(stack, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'a reason that is long enough to read as one' });
      expect(Error.stackTraceLimit).toBe(17);
    } finally {
      Error.stackTraceLimit = before;
    }
    expect(listAcknowledgements(stack)).toEqual([{ path: stack.node.path, id: 'AwsSolutions-IAM5[Resource::*]', reason: 'a reason that is long enough to read as one' }]);
    const [entry] = stack.node.metadata.filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect((entry.trace ?? []).filter((line) => line.includes(' at '))).toEqual([]);
  });
});
