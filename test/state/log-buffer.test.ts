import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LOG_CAPACITY, LogBuffer } from '../../src/state/log-buffer.js';
import type { LogLine } from '../../src/state/log-types.js';

let seq = 0;
function line(timestamp: number, message = `m${timestamp}`, stream = 'webhook/app/1'): LogLine {
  return { id: `e${seq++}`, environment: 'dev', timestamp, receivedAt: timestamp + 500, stream, message };
}
const times = (lines: readonly LogLine[]) => lines.map((l) => l.timestamp);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('LogBuffer', () => {
  it('holds 5,000 lines by default and refuses a capacity that is not a positive integer', () => {
    expect(LogBuffer.empty().capacity).toBe(DEFAULT_LOG_CAPACITY);
    expect(DEFAULT_LOG_CAPACITY).toBe(5000);
    expect(() => LogBuffer.empty(0)).toThrow(/positive integer/);
    expect(() => LogBuffer.empty(2.5)).toThrow(/positive integer/);
  });

  it('orders lines by timestamp with the newest at the bottom, whatever order they arrive in', () => {
    const b = LogBuffer.empty().append([line(30), line(10), line(20)]).append([line(40), line(5)]);
    expect(times(b.toArray())).toEqual([5, 10, 20, 30, 40]);
    const v = b.view(3);
    expect(times(v.lines)).toEqual([20, 30, 40]);
    expect(v.atBottom).toBe(true);
    expect(b.newest?.timestamp).toBe(40);
  });

  it('keeps arrival order between lines of the same millisecond', () => {
    const a = line(7, 'first');
    const b = line(7, 'second');
    const c = line(7, 'third');
    const buf = LogBuffer.empty().append([a, b]).append([c]);
    expect(buf.toArray().map((l) => l.message)).toEqual(['first', 'second', 'third']);
  });

  it('puts a late line in its place even deep inside a large buffer', () => {
    let b = LogBuffer.empty();
    for (let i = 0; i < 2000; i += 100) b = b.append(range(i, i + 100).map((t) => line(t * 10)));
    b = b.append([line(5005, 'late')]);
    const all = b.toArray();
    expect(all).toHaveLength(2001);
    expect(times(all)).toEqual([...times(all)].sort((x, y) => x - y));
    expect(all[501].message).toBe('late');
  });

  it('drops the oldest lines beyond its bound and counts them', () => {
    let b = LogBuffer.empty(100);
    for (let i = 0; i < 250; i += 7) b = b.append(range(i, Math.min(250, i + 7)).map((t) => line(t)));
    expect(b.size).toBe(100);
    expect(times(b.toArray())).toEqual(range(150, 250));
    expect(b.dropped).toBe(150);
    // A line older than everything held in a full buffer is the oldest: it goes at once.
    const again = b.append([line(3)]);
    expect(times(again.toArray())).toEqual(range(150, 250));
    // One batch larger than the bound keeps its newest lines.
    expect(times(LogBuffer.empty(10).append(range(0, 50).map((t) => line(t))).toArray())).toEqual(range(40, 50));
  });

  it('never changes a buffer it was derived from', () => {
    const a = LogBuffer.empty(3).append([line(1), line(2), line(3)]);
    const b = a.append([line(4)]).setFilter('m4').pause();
    expect(times(a.toArray())).toEqual([1, 2, 3]);
    expect(a.filter).toBe('');
    expect(a.paused).toBe(false);
    expect(times(b.toArray())).toEqual([2, 3, 4]);
  });

  it('gives the visible slice for a height and a scroll offset, clamped to what exists', () => {
    const b = LogBuffer.empty().append(range(1, 11).map((t) => line(t)));
    expect(times(b.view(4, 0).lines)).toEqual([7, 8, 9, 10]);
    const up = b.view(4, 3);
    expect(times(up.lines)).toEqual([4, 5, 6, 7]);
    expect(up).toMatchObject({ offset: 3, maxOffset: 6, matching: 10, atBottom: false });
    const top = b.view(4, 99);
    expect(times(top.lines)).toEqual([1, 2, 3, 4]);
    expect(top.offset).toBe(6);
    expect(times(b.view(20).lines)).toEqual(range(1, 11));
    expect(b.view(20, 5).offset).toBe(0);
    expect(b.view(0).lines).toEqual([]);
    expect(LogBuffer.empty().view(5)).toMatchObject({ lines: [], offset: 0, maxOffset: 0, matching: 0, atBottom: true });
  });

  it('filters what is shown by message or stream, in any case, without losing what is held', () => {
    const b = LogBuffer.empty()
      .append([line(1, 'INFO start'), line(2, 'ERROR boom'), line(3, 'info done', 'webhook/worker/9'), line(4, 'error again')])
      .setFilter('  Error ');
    expect(b.filter).toBe('Error');
    const v = b.view(10);
    expect(v.lines.map((l) => l.message)).toEqual(['ERROR boom', 'error again']);
    expect(v.matching).toBe(2);
    expect(b.setFilter('WORKER').view(10).lines.map((l) => l.message)).toEqual(['info done']);
    expect(b.size).toBe(4);
    expect(b.setFilter('').view(10).matching).toBe(4);
    // Scrolling counts only the lines shown.
    expect(b.view(1, 1).lines.map((l) => l.message)).toEqual(['ERROR boom']);
    expect(b.view(1, 5).offset).toBe(1);
  });

  it('pauses: the view stays frozen while lines keep arriving and are counted, even past the bound', () => {
    let b = LogBuffer.empty(5).append(range(1, 6).map((t) => line(t, t % 2 ? 'odd' : 'even')));
    b = b.pause();
    expect(b.paused).toBe(true);
    b = b.append([line(6, 'even'), line(7, 'odd')]).append(range(8, 14).map((t) => line(t, t % 2 ? 'odd' : 'even')));
    expect(times(b.view(10).lines)).toEqual([1, 2, 3, 4, 5]);
    expect(b.view(10).newWhilePaused).toBe(8);
    expect(b.view(10).paused).toBe(true);
    expect(times(b.toArray())).toEqual([9, 10, 11, 12, 13]);
    // A filter while paused applies to the frozen view and recounts what is new.
    const odd = b.setFilter('odd');
    expect(times(odd.view(10).lines)).toEqual([1, 3, 5]);
    expect(odd.newWhilePaused).toBe(3);
    const resumed = odd.resume();
    expect(resumed.paused).toBe(false);
    expect(resumed.newWhilePaused).toBe(0);
    expect(times(resumed.view(10).lines)).toEqual([9, 11, 13]);
    expect(b.pause()).toBe(b);
    expect(resumed.resume()).toBe(resumed);
  });

  it('counts only new lines that pass the filter while paused', () => {
    const b = LogBuffer.empty().setFilter('ERROR').pause().append([line(1, 'INFO a'), line(2, 'ERROR b'), line(3, 'ERROR c')]);
    expect(b.newWhilePaused).toBe(2);
    expect(b.view(5).lines).toEqual([]);
  });

  it('clear empties the buffer and a frozen view', () => {
    const b = LogBuffer.empty().append([line(1)]).pause().append([line(2)]).clear();
    expect(b.size).toBe(0);
    expect(b.view(5).lines).toEqual([]);
    expect(b.newWhilePaused).toBe(0);
  });

  it('matches a model (stable sort of everything, newest `capacity` kept) for any arrival order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 300 }), { maxLength: 12 }),
        (capacity, batches) => {
          let buffer = LogBuffer.empty(capacity);
          let model: LogLine[] = [];
          for (const batch of batches) {
            const lines = batch.map((t) => line(t));
            buffer = buffer.append(lines);
            model = [...model, ...lines].map((l, i) => [l, i] as const).sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1]).map(([l]) => l);
            model = model.slice(Math.max(0, model.length - capacity));
          }
          expect(buffer.toArray().map((l) => l.id)).toEqual(model.map((l) => l.id));
          expect(buffer.size).toBe(model.length);
          const n = model.length;
          const offset = Math.min(2, Math.max(0, n - 7));
          expect(buffer.view(7, 2).lines.map((l) => l.id)).toEqual(model.slice(Math.max(0, n - 7 - offset), n - offset).map((l) => l.id));
        },
      ),
      { numRuns: 150 },
    );
  });
});
