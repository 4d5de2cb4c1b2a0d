/**
 * Secrets Manager (JSON 1.1): DescribeSecret, CreateSecret, GetSecretValue and
 * PutSecretValue over `scenario.secrets`. The call log never holds a secret's
 * value (the server redacts `SecretString` in recorded inputs).
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, optionalString, requireString, type ServiceDefinition } from '../protocols.js';
import type { FakeSecret, Scenario } from '../scenario.js';

function findSecret(scenario: Scenario, id: string): FakeSecret {
  const secret = Object.values(scenario.secrets).find((s) => s.name === id || s.arn === id);
  if (!secret) throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return secret;
}

const suffix = (): string => randomUUID().replace(/-/g, '').slice(0, 6);

export const secretsmanager: ServiceDefinition<Scenario> = {
  signingName: 'secretsmanager',
  protocol: 'json',
  targetPrefix: 'secretsmanager',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredTokenException', status: 400 },
  operations: {
    DescribeSecret(input, scenario) {
      const s = findSecret(scenario, requireString(input, 'SecretId'));
      return {
        ARN: s.arn,
        Name: s.name,
        Description: s.description,
        CreatedDate: new Date(s.createdDate),
        LastChangedDate: new Date(s.lastChangedDate),
        VersionIdsToStages: { [s.versionId]: ['AWSCURRENT'] },
        Tags: Object.entries(s.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      };
    },
    CreateSecret(input, scenario) {
      const name = requireString(input, 'Name');
      if (Object.values(scenario.secrets).some((s) => s.name === name)) {
        throw new AwsServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      }
      const now = new Date().toISOString();
      const tags = Array.isArray(input.Tags) ? Object.fromEntries((input.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value])) : undefined;
      const secret: FakeSecret = {
        name,
        arn: `arn:aws:secretsmanager:${scenario.region}:${scenario.identity.account}:secret:${name}-${suffix()}`,
        description: optionalString(input, 'Description'),
        secretString: optionalString(input, 'SecretString'),
        versionId: optionalString(input, 'ClientRequestToken') ?? randomUUID(),
        createdDate: now,
        lastChangedDate: now,
        tags,
      };
      scenario.secrets[name] = secret;
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
    },
    GetSecretValue(input, scenario) {
      const s = findSecret(scenario, requireString(input, 'SecretId'));
      if (s.secretString === undefined) throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
      return { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: s.secretString, VersionStages: ['AWSCURRENT'], CreatedDate: new Date(s.lastChangedDate) };
    },
    PutSecretValue(input, scenario) {
      const s = findSecret(scenario, requireString(input, 'SecretId'));
      s.secretString = optionalString(input, 'SecretString');
      s.versionId = optionalString(input, 'ClientRequestToken') ?? randomUUID();
      s.lastChangedDate = new Date().toISOString();
      return { ARN: s.arn, Name: s.name, VersionId: s.versionId, VersionStages: ['AWSCURRENT'] };
    },
  },
};
