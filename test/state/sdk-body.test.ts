/**
 * The AWS answers' bodies as bytes (src/state/sdk-body.ts), the clients' `streamCollector`:
 * a Node stream read to its end, every byte in order; its errors given back; a Blob or a web
 * stream (another HTTP handler's body) read too; anything else refused.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collectBody } from '../../src/state/sdk-body.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s));

describe('collectBody', () => {
  it('reads a Node stream to its end: every chunk in order, as one Uint8Array', async () => {
    const chunks = [Buffer.from('<DescribeStacksResponse>'), Buffer.from('é€'), Buffer.alloc(70_000, 7), Buffer.from('</DescribeStacksResponse>')];
    const out = await collectBody(Readable.from(chunks, { objectMode: false }));
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(out).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('reads a Node stream that gives strings (its encoding set) as their UTF-8 bytes, as the SDK did', async () => {
    const stream = Readable.from([Buffer.from('<a>é€'), Buffer.from('</a>')], { objectMode: false });
    stream.setEncoding('utf8');
    expect(await collectBody(stream)).toEqual(bytes('<a>é€</a>'));
  });

  it('reads an empty Node stream as no bytes', async () => {
    expect(await collectBody(Readable.from([]))).toEqual(new Uint8Array(0));
  });

  it('gives back the error of a stream that fails part way', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('{"partial":'));
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      },
    });
    await expect(collectBody(failing)).rejects.toMatchObject({ message: 'socket hang up', code: 'ECONNRESET' });
  });

  it('reads any stream with pipe as a Node stream, as the SDK does (one of another copy of the stream module, say)', async () => {
    const stream = Object.assign(new EventEmitter(), { pipe: () => stream });
    const out = collectBody(stream);
    stream.emit('data', Buffer.from('{"a":'));
    stream.emit('data', Buffer.from('1}'));
    stream.emit('end');
    expect(await out).toEqual(bytes('{"a":1}'));
  });

  it('takes every error of a stream that reports more than one: the first settles, the next do not end the process', async () => {
    const stream = Object.assign(new EventEmitter(), { pipe: () => stream });
    const out = collectBody(stream);
    stream.emit('error', new Error('first'));
    expect(() => stream.emit('error', new Error('second'))).not.toThrow();
    await expect(out).rejects.toThrow('first');
  });

  it('refuses a body that is no stream, as the SDK does, rather than reading its text', async () => {
    for (const body of [{ not: 'a stream' }, 'text', 42]) await expect(collectBody(body), String(body)).rejects.toThrow(TypeError);
  });

  it('reads a Blob and a web ReadableStream, bodies of another HTTP handler', async () => {
    expect(await collectBody(new Blob(['{"a":', '1}']))).toEqual(bytes('{"a":1}'));
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes('<a>'));
        controller.enqueue(bytes('</a>'));
        controller.close();
      },
    });
    expect(await collectBody(web)).toEqual(bytes('<a></a>'));
  });
});
