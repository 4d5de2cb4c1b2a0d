import type { EnvironmentName } from '../config/schema.js';
import { outputName } from '../config/names.js';

/** What calling an environment's health route found. */
export type EndpointCheck =
  | { readonly ok: boolean; readonly url: string; readonly status: number; readonly latencyMs: number; readonly body: string }
  | { readonly ok: false; readonly url: string; readonly failure: 'timeout' | 'refused' | 'dns' | 'network'; readonly message: string; readonly latencyMs: number };

/** The health route under a stage endpoint (`https://ID.execute-api.REGION.amazonaws.com/prod`). */
export function healthUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/health`;
}

/**
 * GETs the health route once. Only a 200 is ok; a time-out, a refusal or an
 * unknown host is a failure with words an operator can act on.
 */
export async function checkEndpoint(endpoint: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<EndpointCheck> {
  const url = healthUrl(endpoint);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  try {
    const response = await fetch(url, { signal: AbortSignal.any(signals), redirect: 'manual', headers: { 'user-agent': 'benchling-deploy' } });
    const body = await bodyStart(response);
    return { ok: response.status === 200, url, status: response.status, latencyMs: performance.now() - started, body };
  } catch (error) {
    const latencyMs = performance.now() - started;
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return { ok: false, url, failure: 'timeout', message: `no answer from ${url} within ${timeoutMs < 10_000 ? (timeoutMs / 1000).toFixed(1) : Math.round(timeoutMs / 1000)} s`, latencyMs };
    }
    const code = e.cause?.code;
    if (code === 'ECONNREFUSED') return { ok: false, url, failure: 'refused', message: `${url}: connection refused`, latencyMs };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { ok: false, url, failure: 'dns', message: `${url}: host not found (${code}); was the stack deleted?`, latencyMs };
    return { ok: false, url, failure: 'network', message: `${url}: ${code ?? e.message}`, latencyMs };
  }
}

/** The most of an answer's body read: the check shows its first {@link BODY_SHOWN} characters, at most 4 bytes each. */
const BODY_READ_BYTES = 4096;
const BODY_SHOWN = 500;

/**
 * The start of the answer's body, as text. The body is the endpoint's: it could be endless or
 * gigabytes long, and the check reads what it shows, then closes the connection, instead of
 * holding the whole of it in memory until the time-out.
 */
async function bodyStart(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let read = 0;
  try {
    while (read < BODY_READ_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      read += value.byteLength;
    }
  } finally {
    // The rest is not read: the connection goes (a failure to cancel changes nothing here).
    reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, BODY_READ_BYTES)).slice(0, BODY_SHOWN);
}

/**
 * Where an environment is reached: its deploy.json record, else the stack's
 * `<Env>Endpoint` output (read only when the record has none).
 */
export async function findEndpoint(
  environment: EnvironmentName,
  recorded: string | undefined,
  stackOutputs: () => Promise<Readonly<Record<string, string>> | undefined>,
): Promise<{ endpoint: string; source: 'deploy.json' | 'stack outputs' } | undefined> {
  if (recorded) return { endpoint: recorded, source: 'deploy.json' };
  const endpoint = (await stackOutputs())?.[outputName(environment, 'Endpoint')];
  return endpoint ? { endpoint, source: 'stack outputs' } : undefined;
}
