/** API Gateway v1 (REST JSON): GetStages over `scenario.restApis`. */
import { AwsServiceError, type ServiceDefinition } from '../protocols.js';
import type { Scenario } from '../scenario.js';

export const apigateway: ServiceDefinition<Scenario> = {
  signingName: 'apigateway',
  protocol: 'rest-json',
  routes: [
    { method: 'GET', path: /^\/restapis\/(?<restApiId>[^/]+)\/stages$/, operation: 'GetStages' },
    { method: 'GET', path: /^\/restapis\/(?<restApiId>[^/]+)\/stages\/(?<stageName>[^/]+)$/, operation: 'GetStage' },
  ],
  throttle: { code: 'TooManyRequestsException', status: 429, message: 'Too Many Requests' },
  expired: { code: 'ExpiredTokenException', status: 403 },
  operations: {
    GetStages(input, scenario) {
      const stages = stagesOf(scenario, String(input.restApiId));
      return { item: stages.map(toStage) };
    },
    GetStage(input, scenario) {
      const stage = stagesOf(scenario, String(input.restApiId)).find((s) => s.stageName === input.stageName);
      if (!stage) throw new AwsServiceError('NotFoundException', 'Invalid Stage identifier specified', 404);
      return toStage(stage);
    },
  },
};

function stagesOf(scenario: Scenario, restApiId: string) {
  const stages = scenario.restApis[restApiId];
  if (!stages) throw new AwsServiceError('NotFoundException', `Invalid API identifier specified ${scenario.identity.account}:${restApiId}`, 404);
  return stages;
}

function toStage(s: Scenario['restApis'][string][number]) {
  return {
    stageName: s.stageName,
    deploymentId: s.deploymentId,
    createdDate: new Date(s.createdDate),
    lastUpdatedDate: new Date(s.lastUpdatedDate),
    variables: s.variables,
  };
}
