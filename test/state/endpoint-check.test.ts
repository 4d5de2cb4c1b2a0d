import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkEndpoint, healthUrl } from '../../src/state/endpoint-check.js';

let server: Server;
let base = '';
const seen: string[] = [];
let sent = 0;
let endlessClosed = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/ok/health') res.writeHead(200).end('{"status":"healthy"}');
    else if (req.url === '/broken/health') res.writeHead(500).end('boom');
    else if (req.url === '/silent/health') {
      // never answers
    } else if (req.url === '/endless/health') {
      // A body that never ends, 64 KiB at a time, until the caller goes away.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = `${'é'.repeat(100)}\n`.repeat(330);
      const more = () => {
        sent += chunk.length;
        if (!res.destroyed) res.write(chunk, more);
      };
      res.on('close', () => (endlessClosed = true));
      more();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('checkEndpoint', () => {
  it('calls /health under the stage', () => {
    expect(healthUrl('https://a.execute-api.us-east-1.amazonaws.com/prod/')).toBe('https://a.execute-api.us-east-1.amazonaws.com/prod/health');
  });

  it('is ok only on 200, with status and latency', async () => {
    const ok = await checkEndpoint(`${base}/ok`);
    expect(ok).toMatchObject({ ok: true, status: 200 });
    expect(ok.latencyMs).toBeGreaterThan(0);
    expect(await checkEndpoint(`${base}/broken`)).toMatchObject({ ok: false, status: 500, body: 'boom' });
    expect(seen).toContain('/ok/health');
  });

  it('reads only the start of an endless body: the status and its first 500 characters at once, and the connection closed', async () => {
    const started = Date.now();
    const r = await checkEndpoint(`${base}/endless`, { timeoutMs: 5_000 });
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((r as { body: string }).body).toBe('é'.repeat(100) + '\n' + 'é'.repeat(100) + '\n' + 'é'.repeat(100) + '\n' + 'é'.repeat(100) + '\n' + 'é'.repeat(96));
    await expect.poll(() => endlessClosed, { timeout: 2_000 }).toBe(true);
    // What the server wrote before it saw the close: a few chunks, not the memory's worth.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('reports a time-out and a refusal in words', async () => {
    expect(await checkEndpoint(`${base}/silent`, { timeoutMs: 300 })).toMatchObject({ ok: false, failure: 'timeout', message: expect.stringMatching(/no answer .* within/) });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await checkEndpoint(`http://127.0.0.1:${port}/prod`)).toMatchObject({ ok: false, failure: 'refused', message: expect.stringMatching(/connection refused/) });
  });
});
