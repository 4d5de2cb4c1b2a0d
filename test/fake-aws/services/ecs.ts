/** ECS (JSON 1.1): DescribeServices, ListTasks, DescribeTasks, ListServiceDeployments and DescribeServiceDeployments over `scenario.clusters`. */
import { AwsServiceError, optionalString, stringList, type ServiceDefinition } from '../protocols.js';
import type { FakeCluster, Scenario } from '../scenario.js';

/** The last path part of an ARN, or the name itself. */
const lastPart = (nameOrArn: string): string => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);

function findCluster(scenario: Scenario, input: Record<string, unknown>): FakeCluster {
  const name = lastPart(optionalString(input, 'cluster') ?? 'default');
  const cluster = scenario.clusters[name];
  if (!cluster) throw new AwsServiceError('ClusterNotFoundException', 'Cluster not found.');
  return cluster;
}

export const ecs: ServiceDefinition<Scenario> = {
  signingName: 'ecs',
  protocol: 'json',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredTokenException', status: 400 },
  operations: {
    DescribeServices(input, scenario) {
      const cluster = findCluster(scenario, input);
      const wanted = stringList(input, 'services');
      if (wanted.length === 0 || wanted.length > 10) {
        throw new AwsServiceError('InvalidParameterException', 'services: between 1 and 10 services must be given.');
      }
      const services = [];
      const failures = [];
      for (const w of wanted) {
        const s = cluster.services[lastPart(w)];
        if (!s) {
          failures.push({ arn: w.startsWith('arn:') ? w : `${cluster.clusterArn.replace(':cluster/', ':service/')}/${w}`, reason: 'MISSING' });
          continue;
        }
        services.push({
          serviceArn: s.serviceArn,
          serviceName: s.serviceName,
          clusterArn: cluster.clusterArn,
          status: s.status,
          desiredCount: s.desiredCount,
          runningCount: s.runningCount,
          pendingCount: s.pendingCount,
          launchType: 'FARGATE',
          taskDefinition: s.taskDefinition,
          deployments: s.deployments.map((d) => ({ ...d, createdAt: new Date(d.createdAt), updatedAt: new Date(d.updatedAt), launchType: 'FARGATE' })),
          events: s.events.map((e) => ({ ...e, createdAt: new Date(e.createdAt) })),
          ...(s.deploymentConfiguration ? { deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, ...s.deploymentConfiguration } } : {}),
        });
      }
      return { services, failures };
    },
    ListServiceDeployments(input, scenario) {
      const cluster = findCluster(scenario, input);
      const name = optionalString(input, 'service');
      if (!name) throw new AwsServiceError('InvalidParameterException', 'service: a service must be given.');
      const service = cluster.services[lastPart(name)];
      if (!service) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.');
      const wanted = Array.isArray(input.status) ? (input.status as unknown[]).map(String) : undefined;
      const limit = typeof input.maxResults === 'number' ? input.maxResults : 20;
      const matching = (service.serviceDeployments ?? []).filter((d) => !wanted || wanted.includes(d.status));
      return {
        serviceDeployments: matching.slice(0, limit).map((d) => ({
          serviceDeploymentArn: d.serviceDeploymentArn,
          serviceArn: service.serviceArn,
          clusterArn: cluster.clusterArn,
          status: d.status,
          createdAt: new Date(d.createdAt),
          startedAt: new Date(d.startedAt),
          ...(d.finishedAt ? { finishedAt: new Date(d.finishedAt) } : {}),
        })),
      };
    },
    DescribeServiceDeployments(input, scenario) {
      const wanted = stringList(input, 'serviceDeploymentArns');
      if (wanted.length === 0 || wanted.length > 20) throw new AwsServiceError('InvalidParameterException', 'serviceDeploymentArns: between 1 and 20 must be given.');
      const serviceDeployments = [];
      const failures = [];
      for (const arn of wanted) {
        const found = Object.values(scenario.clusters).flatMap((c) =>
          Object.values(c.services).flatMap((s) => (s.serviceDeployments ?? []).filter((d) => d.serviceDeploymentArn === arn).map((d) => ({ c, s, d }))),
        )[0];
        if (!found) {
          failures.push({ arn, reason: 'MISSING' });
          continue;
        }
        const { c, s, d } = found;
        serviceDeployments.push({
          serviceDeploymentArn: d.serviceDeploymentArn,
          serviceArn: s.serviceArn,
          clusterArn: c.clusterArn,
          status: d.status,
          createdAt: new Date(d.createdAt),
          startedAt: new Date(d.startedAt),
          ...(d.finishedAt ? { finishedAt: new Date(d.finishedAt) } : {}),
          ...(d.alarms ? { alarms: d.alarms } : {}),
          ...(d.rollback ? { rollback: { ...d.rollback, startedAt: new Date(d.rollback.startedAt) } } : {}),
        });
      }
      return { serviceDeployments, failures };
    },
    ListTasks(input, scenario) {
      const cluster = findCluster(scenario, input);
      const serviceName = optionalString(input, 'serviceName');
      if (serviceName && !cluster.services[lastPart(serviceName)]) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.');
      const desired = optionalString(input, 'desiredStatus') ?? 'RUNNING';
      const limit = typeof input.maxResults === 'number' ? input.maxResults : 100;
      const start = Number(optionalString(input, 'nextToken') ?? '0');
      const matching = cluster.tasks.filter(
        (t) => t.desiredStatus === desired && (!serviceName || t.group === `service:${lastPart(serviceName)}`),
      );
      const page = matching.slice(start, start + limit);
      return { taskArns: page.map((t) => t.taskArn), nextToken: start + limit < matching.length ? String(start + limit) : undefined };
    },
    DescribeTasks(input, scenario) {
      const cluster = findCluster(scenario, input);
      const wanted = stringList(input, 'tasks');
      if (wanted.length === 0 || wanted.length > 100) throw new AwsServiceError('InvalidParameterException', 'tasks: between 1 and 100 tasks must be given.');
      const tasks = [];
      const failures = [];
      for (const w of wanted) {
        const t = cluster.tasks.find((task) => task.taskArn === w || lastPart(task.taskArn) === w);
        if (!t) {
          failures.push({ arn: w, reason: 'MISSING' });
          continue;
        }
        tasks.push({
          ...t,
          clusterArn: cluster.clusterArn,
          launchType: 'FARGATE',
          createdAt: new Date(t.createdAt),
          startedAt: t.startedAt ? new Date(t.startedAt) : undefined,
          stoppedAt: t.stoppedAt ? new Date(t.stoppedAt) : undefined,
          containers: t.containers.map((c) => ({ ...c, taskArn: t.taskArn })),
        });
      }
      return { tasks, failures };
    },
  },
};
