import type { EnvironmentName } from './schema.js';

/**
 * Fargate task sizes: CPU units and the memory (MiB) each allows, as
 * Fargate's table lists them for Linux tasks up to 4 vCPU. Kept free of
 * aws-cdk-lib: the profile schema, the stack and the cost estimate share it.
 */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: range(2048, 8192),
  2048: range(4096, 16384),
  4096: range(8192, 30720),
};

/** Every CPU value Fargate takes (`<Env>Cpu`'s allowed values). */
export const FARGATE_CPUS: readonly number[] = Object.keys(FARGATE_MEMORY).map(Number);

export interface TaskSize {
  /** CPU units (1024 = 1 vCPU). */
  readonly cpu: number;
  /** Memory in MiB. */
  readonly memory: number;
}

/**
 * Right-sized defaults: the webhook answers a few requests a minute and its
 * helper containers wait on queues, so dev runs the smallest CPU and prod
 * twice that; both keep 1 GiB for the three Python processes of a task.
 */
export const DEFAULT_TASK_SIZE: Readonly<Record<EnvironmentName, TaskSize>> = {
  dev: { cpu: 256, memory: 1024 },
  prod: { cpu: 512, memory: 1024 },
};

/**
 * The task size of stacks deployed before `<Env>Cpu` and `<Env>Memory`
 * existed: the template fixed 1 vCPU and 2 GiB then. A plan against such a
 * stack compares with this.
 */
export const LEGACY_TASK_SIZE: TaskSize = { cpu: 1024, memory: 2048 };

/** NAT gateways of the shared VPC when the prod profile does not say (one: see the README's cost section). */
export const DEFAULT_NAT_GATEWAYS = 1;

export function isFargatePair(cpu: number, memory: number): boolean {
  return FARGATE_MEMORY[cpu]?.includes(memory) ?? false;
}

/** What memory values `cpu` allows, in words, for error messages. */
export function memoryChoices(cpu: number): string {
  const values = FARGATE_MEMORY[cpu];
  if (!values) return `a Fargate memory size (cpu ${cpu} is not a Fargate CPU value)`;
  if (values.length <= 4) return `${values.slice(0, -1).join(', ')} or ${values.at(-1)} for cpu ${cpu}`;
  return `a multiple of 1024 from ${values[0]} to ${values.at(-1)} for cpu ${cpu}`;
}

/** `256` -> `0.25 vCPU`, `1024` (MiB) -> `1 GB`. */
export function describeTaskSize(size: TaskSize): string {
  return `${size.cpu / 1024} vCPU / ${size.memory / 1024} GB`;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += 1024) out.push(v);
  return out;
}
