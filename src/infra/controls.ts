/**
 * AWS Control Tower proactive controls the stack does not meet, each with why.
 *
 * The controls are the cfn-guard rules that `@cdklabs/cdk-validator-cfnguard`
 * ships (rules/control-tower/cfn-guard/<service>/ct-*.guard). The tests run
 * them all on the synthesized template: every control passes, or fails only
 * on the resource types its acknowledgement names here; an acknowledgement
 * that no longer matches a failure fails the tests too. The README's security
 * section lists each one with the same reason.
 *
 * Kept free of aws-cdk-lib and of the validator: plain data the tests and the
 * README check read.
 */

export interface ControlAcknowledgement {
  /** The Control Tower control id, as each finding names it: `CT.CLOUDWATCH.PR.3`. */
  readonly control: string;
  /** What the control asks, in a few words (the README's wording). */
  readonly title: string;
  /**
   * CloudFormation resource types the acknowledgement covers. A failure of
   * the same control on any other type is not excused.
   */
  readonly resourceTypes: readonly string[];
  /** Why the stack does not meet the control: a full sentence a security reviewer can check. */
  readonly reason: string;
}

export const CONTROL_ACKNOWLEDGEMENTS: readonly ControlAcknowledgement[] = [
  {
    control: 'CT.CLOUDWATCH.PR.1',
    title: 'an action on every alarm',
    resourceTypes: ['AWS::CloudWatch::Alarm'],
    reason:
      "The alarms are the ECS services' deployment alarms: ECS reads their state during a rollout and rolls the service back when one fires, which is their action; an alarm action would need a topic and subscribers the product does not know.",
  },
  {
    control: 'CT.CLOUDWATCH.PR.3',
    title: 'log groups encrypted with a KMS key',
    resourceTypes: ['AWS::Logs::LogGroup'],
    reason:
      'CloudWatch Logs already encrypts every log group at rest; a customer-managed key would add a KMS key per account and a key policy for the logs service, and the logs hold no secret (the client secret is never logged).',
  },
  {
    control: 'CT.ECS.PR.6',
    title: 'read-only root filesystem',
    resourceTypes: ['AWS::ECS::TaskDefinition'],
    reason:
      'The images the product serves write to their root filesystem: 0.7.2 to 0.7.7 sync their virtualenv at start-up, 0.7.10 writes export ZIPs to /tmp and a quilt3 cache under the home folder, 0.9.1 to 0.9.5 need a writable temporary folder; a read-only root would break them.',
  },
  {
    control: 'CT.ELASTICLOADBALANCING.PR.5',
    title: 'load balancer deletion protection',
    resourceTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
    reason:
      "`benchling-deploy destroy` deletes the stack on purpose, once the stack's name is typed; deletion protection would make it fail half-way, with the services gone and the load balancer left behind.",
  },
  {
    control: 'CT.ELASTICLOADBALANCING.PR.6',
    title: 'load balancer access logs',
    resourceTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
    reason:
      "The load balancer is internal, reached only through API Gateway's VPC link, and every request is already logged by the stages' access logs; load balancer access logs would add an S3 bucket and its policy per stack.",
  },
];

const CONTROL_ID_RE = /\[(CT\.[A-Z0-9-]+\.PR\.[0-9]+)\]/;

/**
 * The control id a finding's description starts with (`[CT.ECS.PR.6]: Require ...`),
 * or undefined for a rule that is not a Control Tower control.
 */
export function controlIdOf(description: string): string | undefined {
  return CONTROL_ID_RE.exec(description)?.[1];
}

