/** STS (Query/XML): GetCallerIdentity from `scenario.identity`. */
import type { ServiceDefinition } from '../protocols.js';
import { callerOf, type Scenario } from '../scenario.js';

export const sts: ServiceDefinition<Scenario> = {
  signingName: 'sts',
  protocol: 'query',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredToken', status: 403 },
  operations: {
    GetCallerIdentity(_input, scenario, req) {
      const who = callerOf(scenario, req.headers);
      return { UserId: who.userId, Account: who.account, Arn: who.arn };
    },
  },
};
