/**
 * The front's direct writes (bin/output.ts) to a descriptor that refuses them for a while: a full
 * pipe another process made non-blocking (EAGAIN), then a reader that goes away (EPIPE). node:fs is
 * replaced by a recorder, so what reaches each descriptor, and in which order, is exact; the built
 * command through a real full pipe is in test/cli/front.test.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

/** What the recorder does with the next writes: take them all, take none (EAGAIN), or refuse them (EPIPE). */
let refuse: (fd: number) => 'EAGAIN' | 'EPIPE' | undefined = () => undefined;
const taken: { fd: number; text: string }[] = [];

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (fd: number, buffer: Buffer, offset = 0) => {
      const why = refuse(fd);
      if (why) throw Object.assign(new Error(why), { code: why });
      // A pipe takes a few bytes at a time when it is nearly full.
      const part = buffer.subarray(offset, offset + 7);
      taken.push({ fd, text: part.toString('latin1') });
      return part.length;
    },
  };
});

let output: typeof import('../../bin/output.js');

beforeEach(async () => {
  taken.length = 0;
  refuse = () => undefined;
  // A fresh module each test: which descriptors are gone is the module's own state.
  vi.resetModules();
  output = await import('../../bin/output.js');
  output.writeDirectly();
});

const said = (fd: number) => taken.filter((t) => t.fd === fd).map((t) => t.text).join('');

describe('direct writes to a full non-blocking pipe', () => {
  it('wait until the pipe takes them, pausing between tries: every byte, and stdout and stderr in the order written', () => {
    const { writeErr, writeOut } = output;
    let refusals = 0;
    // Ten refusals in a row, part-way through the first line: the writer waits them out.
    refuse = () => (refusals < 10 && taken.length === 2 && ++refusals ? 'EAGAIN' : undefined);
    const waits = vi.spyOn(Atomics, 'wait');
    writeOut('the first line of the table\n');
    writeErr('warning: between the two\n');
    writeOut('the last line of the table\n');
    expect(refusals).toBe(10);
    // A pause for each refusal: no spinning.
    expect(waits).toHaveBeenCalledTimes(10);
    waits.mockRestore();
    expect(taken.map((t) => t.text).join('')).toBe('the first line of the table\nwarning: between the two\nthe last line of the table\n');
    expect(said(1)).toBe('the first line of the table\nthe last line of the table\n');
  });

  it('a reader that goes away ends what that descriptor says, quietly; the other goes on', () => {
    const { writeErr, writeOut } = output;
    refuse = (fd) => (fd === 1 ? 'EPIPE' : undefined);
    expect(() => writeOut('nobody reads this\n')).not.toThrow();
    writeErr('still said\n');
    refuse = () => undefined;
    writeOut('dropped too: the reader is gone\n');
    expect(said(1)).toBe('');
    expect(said(2)).toBe('still said\n');
  });

  it('any other failure is not hidden', () => {
    refuse = () => 'EBADF' as 'EPIPE';
    expect(() => output.writeOut('x')).toThrow(/EBADF/);
  });
});
