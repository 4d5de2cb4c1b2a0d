import { CfnOutput, CfnResource, Stack, type StackProps } from 'aws-cdk-lib';
import type { IResource as ApiResource } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import type { StackProfiles } from '../config/pairing.js';
import { ENVIRONMENTS, type EnvironmentName, type ResolvedProfile } from '../config/schema.js';
import { EnvironmentRuntime } from './environment-runtime.js';
import { envTitle } from '../config/names.js';
import { acknowledge } from './nag.js';
import { PropsCheck } from './props-check.js';
import { SharedInfrastructure } from './shared-infrastructure.js';
import { InlineOrUploadedSynthesizer } from './template-synthesizer.js';
import type { KeptIds } from './upgrade.js';

const STACK_NAME_RE = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export interface WebhookStackProps extends Omit<StackProps, 'env' | 'stackName' | 'synthesizer'> {
  /**
   * The stack's profiles, as `resolveStackProfiles` pairs them: prod always,
   * dev when there is a dev profile. Which environment is about to be
   * deployed is deliberately not an input: the template is the same for both.
   */
  readonly profiles: StackProfiles;
  /**
   * Logical ids of the deployed stack to take over (upgrade.ts `keptIdsOf`):
   * the REST API, its routes and its prod stage keep them, so CloudFormation
   * updates them in place and the endpoint URL stays. The prod stage then
   * also waits for the prod service, so it keeps serving what runs until the
   * new service is healthy.
   *
   * @default - none: every resource has this stack's own id
   */
  readonly keep?: KeptIds;
}

/**
 * The one stack of PRODUCT.md section 5: shared infrastructure plus one
 * isolated runtime per environment present in the profiles.
 *
 * Environment-agnostic on purpose (no `env`): availability zones come from
 * `Fn::GetAZs`, so synthesis needs no lookups and no AWS access; the deploy
 * runner points the cdk CLI at the profile's region and account. The
 * synthesizer adds no bootstrap version check; a template of up to 50 KiB
 * goes inline and needs no bootstrap at all, a larger one is published to the
 * bootstrap bucket with the caller's credentials ({@link InlineOrUploadedSynthesizer}).
 */
export class WebhookStack extends Stack {
  public readonly shared: SharedInfrastructure;
  /** The environments in this stack, prod first. */
  public readonly environments: ReadonlyMap<EnvironmentName, EnvironmentRuntime>;

  constructor(scope: Construct, id: string, props: WebhookStackProps) {
    const { profiles, keep, ...stackProps } = props;
    validate(id, profiles);
    const present = presentEnvironments(profiles);
    super(scope, id, {
      description: `Benchling webhook: shared VPC, cluster, load balancer and REST API; environments ${present.map(([env]) => env).join(', ')}`,
      analyticsReporting: false,
      ...stackProps,
      stackName: profiles.place.stackName,
      synthesizer: new InlineOrUploadedSynthesizer(),
    });

    // aws-cdk-lib's template validator reports parameters on the stack itself.
    acknowledge(this, {
      id: 'CloudFormation-Validate::W2509',
      reason: 'The <Env>SecretName parameters hold the name of a Secrets Manager secret, never its value, so they need no NoEcho.',
    });

    const stageAllowLists: Record<string, readonly string[]> = {};
    for (const [env, profile] of present) if (profile.webhookAllowList.length > 0) stageAllowLists[env] = profile.webhookAllowList;
    this.shared = new SharedInfrastructure(this, 'Shared', { stageAllowLists, natGateways: profiles.prod.natGateways });

    const environments = new Map<EnvironmentName, EnvironmentRuntime>();
    for (const [env, profile] of present) {
      environments.set(
        env,
        new EnvironmentRuntime(this, envTitle(env), {
          environment: env,
          shared: this.shared,
          quiltStackArn: profile.quiltStackArn,
          imageRepository: profile.imageRepository,
          imageTag: profile.imageTag,
          secretName: profile.benchlingSecret,
          packageBucket: profile.pkgBucket!,
          quiltWebHost: profile.quiltWebHost,
          packagerQueueUrl: profile.packagerQueueUrl,
          athenaDatabase: profile.athenaUserDatabase,
          athenaWorkgroup: profile.athenaUserWorkgroup,
          minCapacity: profile.minCapacity,
          maxCapacity: profile.maxCapacity,
          cpu: profile.cpu,
          memoryMiB: profile.memory,
          logLevel: profile.logLevel,
          webhookVerification: profile.webhookVerification,
        }),
      );
    }
    this.environments = environments;

    if (keep) this.takeOver(keep);

    new CfnOutput(this, 'ApiId', { value: this.shared.api.restApiId, description: 'REST API id (one API, one stage per environment)' });
    new CfnOutput(this, 'ClusterName', { value: this.shared.cluster.clusterName, description: 'ECS cluster of every environment' });
  }

  /** Gives the deployed ids to the resources that keep them; an id equal to this stack's own changes nothing. */
  private takeOver(keep: KeptIds): void {
    const api = this.shared.api;
    const proxy = api.root.getResource('{proxy+}');
    const methodOn = (resource: ApiResource | undefined) => api.methods.find((m) => m.resource === resource && m.httpMethod === 'ANY');
    const prod = this.environments.get('prod');
    const targets: [string | undefined, CfnResource | undefined][] = [
      [keep.restApi, api.node.defaultChild as CfnResource],
      [keep.rootMethod, methodOn(api.root)?.node.defaultChild as CfnResource | undefined],
      [keep.proxyResource, proxy?.node.defaultChild as CfnResource | undefined],
      [keep.proxyMethod, methodOn(proxy)?.node.defaultChild as CfnResource | undefined],
      [keep.prodStage, prod?.stage.node.defaultChild as CfnResource | undefined],
    ];
    for (const [id, resource] of targets) {
      if (id === undefined || resource === undefined || this.resolve(resource.logicalId) === id) continue;
      resource.overrideLogicalId(id);
      // The stage switches to the new deployment only once the prod service is created and steady.
      if (id === keep.prodStage && prod) resource.addResourceDependency(prod.service.node.defaultChild as CfnResource);
    }
  }
}

/** The environments the profiles hold, prod first, with their profiles. */
function presentEnvironments(profiles: StackProfiles): [EnvironmentName, ResolvedProfile][] {
  const order: EnvironmentName[] = ['prod', 'dev'];
  return order.filter((env) => profiles[env] !== undefined).map((env) => [env, profiles[env]!]);
}

function validate(id: string, profiles: StackProfiles | undefined): void {
  const check = new PropsCheck(id);
  if (!profiles || typeof profiles !== 'object') {
    check.expect(false, 'profiles', 'the stack profiles (prod, and dev when present)');
    check.throwIfAny();
    return;
  }
  check.expect(profiles.prod !== undefined, 'profiles.prod', 'a prod profile: prod is required');
  check.expect(typeof profiles.place?.stackName === 'string' && STACK_NAME_RE.test(profiles.place.stackName), 'profiles.place.stackName', 'a CloudFormation stack name', profiles.place?.stackName);
  for (const env of ENVIRONMENTS) {
    const p = profiles[env];
    if (p) check.expect(p.environment === env, `profiles.${env}`, `a profile whose environment is "${env}" (profile "${p.profile}" is for "${p.environment}")`);
  }
  check.throwIfAny();
}
