/** Elastic Load Balancing v2 (Query/XML): DescribeTargetHealth over `scenario.targetGroups`. */
import { AwsServiceError, requireString, type ServiceDefinition } from '../protocols.js';
import type { Scenario } from '../scenario.js';

export const elbv2: ServiceDefinition<Scenario> = {
  signingName: 'elasticloadbalancing',
  protocol: 'query',
  xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredToken', status: 403 },
  operations: {
    DescribeTargetHealth(input, scenario) {
      const arn = requireString(input, 'TargetGroupArn', 'ValidationError');
      const targets = scenario.targetGroups[arn];
      if (!targets) throw new AwsServiceError('TargetGroupNotFound', `Target groups '${arn}' not found`);
      return {
        TargetHealthDescriptions: targets.map((t) => ({
          Target: { Id: t.id, Port: t.port },
          HealthCheckPort: String(t.port),
          TargetHealth: { State: t.state, Reason: t.reason, Description: t.description },
        })),
      };
    },
  },
};
