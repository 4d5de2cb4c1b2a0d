import type { Readable } from 'node:stream';

/**
 * The body of an AWS answer as bytes: what the SDK clients' `streamCollector` does, given to
 * each client (src/state/aws-clients.ts, src/state/logs-aws.ts). The SDK's own first asks
 * whether the body is a Blob or a web ReadableStream, and the first look at either global makes
 * Node load its web streams (2 to 10 ms here) before the first answer is read. On Node the SDK's
 * HTTP handler answers with a Node stream, read here as the SDK reads it (anything with `pipe`,
 * which neither a Blob nor a web stream has); another handler's Blob or web stream is read
 * through the Fetch API's Response; anything else is refused, as the SDK refuses it.
 */
export function collectBody(body: unknown): Promise<Uint8Array> {
  if (typeof (body as Readable | null)?.pipe === 'function') return collectNodeStream(body as Readable);
  if ((typeof Blob === 'function' && body instanceof Blob) || (typeof ReadableStream === 'function' && body instanceof ReadableStream)) {
    return new Response(body).arrayBuffer().then((bytes) => new Uint8Array(bytes));
  }
  return Promise.reject(new TypeError(`an AWS answer's body that is not a stream: ${Object.prototype.toString.call(body)}`));
}

function collectNodeStream(stream: Readable): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    stream.on('data', (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      length += bytes.length;
    });
    // Every error handled (the first one settles): a stream that reports two does not end the process.
    stream.on('error', reject);
    stream.once('end', () => {
      const all = new Uint8Array(length);
      let offset = 0;
      for (const c of chunks) {
        all.set(c, offset);
        offset += c.length;
      }
      resolve(all);
    });
  });
}
