/**
 * AWS public on-demand list prices, in USD, per region, for what the stack
 * runs. Transcribed by hand from AWS's public pricing pages
 * ({@link PRICE_PAGES}: AWS Fargate, Amazon VPC NAT gateway and public IPv4,
 * Elastic Load Balancing, Amazon API Gateway REST APIs at the first tier,
 * Amazon CloudWatch Logs standard ingestion and standard-resolution alarms,
 * AWS Secrets Manager) as they stood on {@link PRICES_AS_OF}; not fetched by
 * the tool, which estimates offline. Linux/x86 Fargate, no Savings Plans, no
 * free tier. us-east-1's figures were checked again against those pages and
 * published copies of them (Fargate $0.04048 per vCPU-hour and $0.004445 per
 * GB-hour; NAT gateway $0.045 per hour and per GB; network load balancer
 * $0.0225 per hour, its capacity units $0.006 per NLCU-hour, left out as
 * traffic; REST API $3.50 per million requests; Logs ingestion $0.50 per GB;
 * $0.40 per secret-month; $0.10 per standard-resolution alarm-month). Check
 * the pages before relying on a figure; update the table and the date together.
 */
export const PRICES_AS_OF = '2025-01-01';
export const PRICES_SOURCE = 'AWS public on-demand list prices (aws.amazon.com/<service>/pricing), transcribed into the tool';

/** The AWS page each price of {@link RegionPrices} comes from. */
export const PRICE_PAGES: Readonly<Record<keyof RegionPrices, string>> = {
  fargateVcpuHour: 'https://aws.amazon.com/fargate/pricing/',
  fargateGbHour: 'https://aws.amazon.com/fargate/pricing/',
  natGatewayHour: 'https://aws.amazon.com/vpc/pricing/',
  natGatewayGb: 'https://aws.amazon.com/vpc/pricing/',
  publicIpv4Hour: 'https://aws.amazon.com/vpc/pricing/',
  nlbHour: 'https://aws.amazon.com/elasticloadbalancing/pricing/',
  apiGatewayRestPerMillion: 'https://aws.amazon.com/api-gateway/pricing/',
  logsIngestionGb: 'https://aws.amazon.com/cloudwatch/pricing/',
  alarmMonth: 'https://aws.amazon.com/cloudwatch/pricing/',
  secretMonth: 'https://aws.amazon.com/secrets-manager/pricing/',
};

export interface RegionPrices {
  /** Fargate, Linux x86, per vCPU-hour. */
  readonly fargateVcpuHour: number;
  /** Fargate, Linux x86, per GB-hour of memory. */
  readonly fargateGbHour: number;
  /** NAT gateway, per hour. */
  readonly natGatewayHour: number;
  /** NAT gateway, per GB processed. */
  readonly natGatewayGb: number;
  /** A public IPv4 address (each NAT gateway's Elastic IP), per hour. */
  readonly publicIpv4Hour: number;
  /** Network load balancer, per hour (LCUs are traffic). */
  readonly nlbHour: number;
  /** API Gateway REST API, per million requests (first 333 million). */
  readonly apiGatewayRestPerMillion: number;
  /** CloudWatch Logs standard ingestion, per GB. */
  readonly logsIngestionGb: number;
  /** CloudWatch standard-resolution metric alarm, per alarm-month. */
  readonly alarmMonth: number;
  /** Secrets Manager, per secret per month. */
  readonly secretMonth: number;
}

export const PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    natGatewayHour: 0.045,
    natGatewayGb: 0.045,
    publicIpv4Hour: 0.005,
    nlbHour: 0.0225,
    apiGatewayRestPerMillion: 3.5,
    logsIngestionGb: 0.5,
    alarmMonth: 0.1,
    secretMonth: 0.4,
  },
  'us-east-2': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    natGatewayHour: 0.045,
    natGatewayGb: 0.045,
    publicIpv4Hour: 0.005,
    nlbHour: 0.0225,
    apiGatewayRestPerMillion: 3.5,
    logsIngestionGb: 0.5,
    alarmMonth: 0.1,
    secretMonth: 0.4,
  },
  'us-west-2': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    natGatewayHour: 0.045,
    natGatewayGb: 0.045,
    publicIpv4Hour: 0.005,
    nlbHour: 0.0225,
    apiGatewayRestPerMillion: 3.5,
    logsIngestionGb: 0.5,
    alarmMonth: 0.1,
    secretMonth: 0.4,
  },
  'eu-west-1': {
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    natGatewayHour: 0.048,
    natGatewayGb: 0.048,
    publicIpv4Hour: 0.005,
    nlbHour: 0.0252,
    apiGatewayRestPerMillion: 3.5,
    logsIngestionGb: 0.57,
    alarmMonth: 0.1,
    secretMonth: 0.4,
  },
  'eu-central-1': {
    fargateVcpuHour: 0.04656,
    fargateGbHour: 0.00511,
    natGatewayHour: 0.052,
    natGatewayGb: 0.052,
    publicIpv4Hour: 0.005,
    nlbHour: 0.027,
    apiGatewayRestPerMillion: 3.7,
    logsIngestionGb: 0.63,
    alarmMonth: 0.1,
    secretMonth: 0.4,
  },
};

export function pricesFor(region: string): RegionPrices | undefined {
  return Object.hasOwn(PRICES, region) ? PRICES[region] : undefined;
}
