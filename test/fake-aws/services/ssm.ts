/**
 * SSM Parameter Store (JSON 1.1, `X-Amz-Target: AmazonSSM.*`): PutParameter,
 * GetParameter, GetParameters, GetParameterHistory and DeleteParameter over
 * `scenario.ssm`,
 * with the service's own errors: ParameterAlreadyExists for a PutParameter
 * without Overwrite on an existing name, ParameterNotFound, a value over the
 * standard tier's 4 KB refused, and at most {@link MAX_VERSIONS} versions
 * kept (the oldest dropped, as SSM does when no label holds it).
 * GetParameterHistory pages oldest first (MaxResults 1..50, default 50).
 * GetParameters takes 1..10 names and answers each one's newest version in
 * `Parameters`, and the names it does not have in `InvalidParameters` (not
 * an error).
 * AccessDenied per action and path: the fault `{ kind: 'access-denied',
 * service: 'ssm', operation?, resourcePrefix? }` (server.ts).
 */
import { AwsServiceError, optionalString, requireString, type ServiceDefinition } from '../protocols.js';
import { callerOf, type FakeParameter, type Scenario } from '../scenario.js';

/** Versions SSM keeps of a parameter. */
export const MAX_VERSIONS = 100;
/** Characters of a standard-tier value. */
export const STANDARD_VALUE_MAX = 4096;

const notFound = (): AwsServiceError => new AwsServiceError('ParameterNotFound', '');

function find(scenario: Scenario, name: string): FakeParameter {
  const p = scenario.ssm?.[name];
  if (!p || p.versions.length === 0) throw notFound();
  return p;
}

const arnOf = (scenario: Scenario, name: string) => `arn:aws:ssm:${scenario.region}:${scenario.identity.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;

export const ssm: ServiceDefinition<Scenario> = {
  signingName: 'ssm',
  protocol: 'json',
  targetPrefix: 'AmazonSSM',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredTokenException', status: 400 },
  operations: {
    PutParameter(input, scenario, req) {
      const name = requireString(input, 'Name');
      const value = requireString(input, 'Value');
      const type = optionalString(input, 'Type') ?? 'String';
      const tier = optionalString(input, 'Tier') ?? 'Standard';
      if (tier === 'Standard' && value.length > STANDARD_VALUE_MAX) {
        throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${value.slice(0, 20)}...' at 'value' failed to satisfy constraint: Member must have length less than or equal to ${STANDARD_VALUE_MAX}.`);
      }
      scenario.ssm ??= {};
      const existing = scenario.ssm[name];
      if (existing && existing.versions.length > 0 && input.Overwrite !== true) {
        throw new AwsServiceError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
      }
      const p: FakeParameter = existing ?? { name, type, lastVersion: 0, versions: [] };
      p.type = type;
      p.lastVersion += 1;
      p.versions.push({ version: p.lastVersion, value, tier, lastModifiedDate: new Date().toISOString(), lastModifiedUser: callerOf(scenario, req.headers).arn, description: optionalString(input, 'Description') });
      if (p.versions.length > MAX_VERSIONS) p.versions.splice(0, p.versions.length - MAX_VERSIONS);
      scenario.ssm[name] = p;
      return { Version: p.lastVersion, Tier: tier };
    },
    GetParameter(input, scenario) {
      const name = requireString(input, 'Name');
      const p = find(scenario, name);
      const v = p.versions.at(-1)!;
      return { Parameter: { Name: p.name, Type: p.type, Value: v.value, Version: v.version, LastModifiedDate: new Date(v.lastModifiedDate), ARN: arnOf(scenario, p.name), DataType: 'text' } };
    },
    GetParameters(input, scenario) {
      const names = input.Names;
      if (!Array.isArray(names) || names.length < 1 || names.length > 10 || !names.every((n) => typeof n === 'string')) {
        throw new AwsServiceError('ValidationException', `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10`);
      }
      const found: FakeParameter[] = [];
      const invalid: string[] = [];
      for (const name of new Set(names as string[])) {
        const p = scenario.ssm?.[name];
        if (p && p.versions.length > 0) found.push(p);
        else invalid.push(name);
      }
      return {
        Parameters: found.map((p) => {
          const v = p.versions.at(-1)!;
          return { Name: p.name, Type: p.type, Value: v.value, Version: v.version, LastModifiedDate: new Date(v.lastModifiedDate), ARN: arnOf(scenario, p.name), DataType: 'text' };
        }),
        InvalidParameters: invalid,
      };
    },
    GetParameterHistory(input, scenario) {
      const p = find(scenario, requireString(input, 'Name'));
      const max = input.MaxResults === undefined ? 50 : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 50) {
        throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${String(input.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50`);
      }
      const token = optionalString(input, 'NextToken');
      const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64').toString('utf8').replace(/^fake:/, ''));
      if (!Number.isInteger(start) || start < 0) throw new AwsServiceError('InvalidNextToken', 'The specified token is not valid.');
      const page = p.versions.slice(start, start + max);
      const next = start + max < p.versions.length ? Buffer.from(`fake:${start + max}`).toString('base64') : undefined;
      return {
        Parameters: page.map((v) => ({
          Name: p.name,
          Type: p.type,
          Value: v.value,
          Version: v.version,
          Tier: v.tier,
          LastModifiedDate: new Date(v.lastModifiedDate),
          LastModifiedUser: v.lastModifiedUser,
          ...(v.description ? { Description: v.description } : {}),
          Labels: [],
          Policies: [],
          DataType: 'text',
        })),
        ...(next ? { NextToken: next } : {}),
      };
    },
    DeleteParameter(input, scenario) {
      const name = requireString(input, 'Name');
      find(scenario, name);
      delete scenario.ssm![name];
      return {};
    },
  },
};
