// A stand-in AWS endpoint for the older tool's `status` in bench/older.mjs: fixed answers to the
// eleven calls its status makes (read from its bin/commands/status.ts and logged against it) for one
// healthy standalone stack, in the wire protocols its SDK clients speak (Query/XML for CloudFormation
// and ELBv2, JSON 1.1 for ECS and Secrets Manager). Not the project's fake (test/fake-aws): that one
// answers this tool's calls from a scenario, and the older tool reads resources and outputs this tool's
// stack does not have. Prints one JSON line {"url"} on stdout; GET /__calls says how many calls it
// answered and how many it refused (an action it does not know); serves until SIGTERM.
import { createServer } from 'node:http';
import { endWithBench } from './_setup.mjs';

endWithBench();

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TARGET_GROUP = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/tg1/abc`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:BenchlingSecret-AbCdEf`;
const AT = '2026-01-01T00:00:00Z';

const query = (action, inner) => `<${action}Response xmlns="https://aws.amazon.com/"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></${action}Response>`;
const resource = (logical, physical, type) => `<member><LogicalResourceId>${logical}</LogicalResourceId><PhysicalResourceId>${physical}</PhysicalResourceId><ResourceType>${type}</ResourceType><ResourceStatus>CREATE_COMPLETE</ResourceStatus><Timestamp>${AT}</Timestamp></member>`;

/** Query/XML answers by Action. */
const QUERY = {
  DescribeStacks: () =>
    query('DescribeStacks', `<Stacks><member><StackName>BenchlingWebhookStack</StackName><StackId>arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/BenchlingWebhookStack/1</StackId><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>${AT}</CreationTime><Outputs><member><OutputKey>WebhookEndpoint</OutputKey><OutputValue>https://a1b2c3d4e5.execute-api.${REGION}.amazonaws.com/prod</OutputValue></member><member><OutputKey>BenchlingSecretArn</OutputKey><OutputValue>${SECRET}</OutputValue></member></Outputs></member></Stacks>`),
  DescribeStackResources: () =>
    query(
      'DescribeStackResources',
      `<StackResources>${resource('Service', `arn:aws:ecs:${REGION}:${ACCOUNT}:service/cluster/service`, 'AWS::ECS::Service')}${resource('Cluster', 'cluster', 'AWS::ECS::Cluster')}${resource('TargetGroup', TARGET_GROUP, 'AWS::ElasticLoadBalancingV2::TargetGroup')}${resource('BenchlingAthenaWorkgroup', 'workgroup', 'AWS::Athena::WorkGroup')}</StackResources>`,
    ),
  DescribeStackEvents: () => query('DescribeStackEvents', `<StackEvents><member><StackId>stack</StackId><EventId>event</EventId><StackName>BenchlingWebhookStack</StackName><LogicalResourceId>BenchlingWebhookStack</LogicalResourceId><ResourceStatus>UPDATE_COMPLETE</ResourceStatus><Timestamp>${AT}</Timestamp></member></StackEvents>`),
  DescribeTargetGroups: () => query('DescribeTargetGroups', `<TargetGroups><member><TargetGroupArn>${TARGET_GROUP}</TargetGroupArn><TargetGroupName>tg1</TargetGroupName></member></TargetGroups>`),
  DescribeTargetHealth: () => query('DescribeTargetHealth', '<TargetHealthDescriptions><member><Target><Id>10.0.0.1</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member></TargetHealthDescriptions>'),
};

/** JSON 1.1 answers by X-Amz-Target. */
const JSON11 = {
  'AmazonEC2ContainerServiceV20141113.DescribeServices': { services: [{ serviceName: 'service', status: 'ACTIVE', desiredCount: 1, runningCount: 1, pendingCount: 0, deployments: [{ rolloutState: 'COMPLETED', taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/webhook:1` }] }] },
  'AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition': { taskDefinition: { containerDefinitions: [{ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'webhook', 'awslogs-stream-prefix': 'app' } } }] } },
  'secretsmanager.DescribeSecret': { Name: 'BenchlingSecret-AbCdEf', LastChangedDate: 1767225600 },
};

const calls = { answered: 0, refused: 0 };
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (req.url === '/__calls') return res.end(JSON.stringify(calls));
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && Object.hasOwn(JSON11, target)) {
      calls.answered++;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      return res.end(JSON.stringify(JSON11[target]));
    }
    const action = new URLSearchParams(body).get('Action');
    if (action && Object.hasOwn(QUERY, action)) {
      calls.answered++;
      res.writeHead(200, { 'content-type': 'text/xml' });
      return res.end(QUERY[action]());
    }
    calls.refused++;
    res.writeHead(400, { 'content-type': 'text/xml' });
    res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not answered here: ${String(target ?? action)}</Message></Error></ErrorResponse>`);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
