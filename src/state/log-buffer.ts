import type { LogLine } from './log-types.js';

/** Lines kept per buffer unless told otherwise: about ten minutes of a busy service. */
export const DEFAULT_LOG_CAPACITY = 5000;

/** Lines per chunk: an append copies at most one chunk, whatever the capacity. */
const CHUNK = 256;

type Chunks = readonly (readonly LogLine[])[];

/** What the log screen draws: the visible slice and what to say around it. */
export interface LogView {
  /** At most `height` lines, oldest first: the newest shown is the last. */
  readonly lines: readonly LogLine[];
  /** Lines scrolled up from the bottom, clamped to what exists. */
  readonly offset: number;
  /** The largest offset that still fills the screen. */
  readonly maxOffset: number;
  /** Lines that pass the filter, in the (live or frozen) view. */
  readonly matching: number;
  /** The newest matching line is on screen. */
  readonly atBottom: boolean;
  readonly paused: boolean;
  /** Lines that arrived since the pause and pass the filter. */
  readonly newWhilePaused: number;
  readonly filter: string;
}

interface Snapshot {
  readonly chunks: Chunks;
  readonly size: number;
}

/**
 * The lines of a log screen, bounded, ordered by timestamp with the newest at
 * the bottom. Immutable: every change returns a new buffer and shares what did
 * not change, so it can live in the dashboard's reducer state, a paused
 * (frozen) view costs nothing, and an append copies one chunk rather than the
 * whole buffer. Beyond the capacity the oldest lines (by timestamp) are
 * dropped. De-duplication is the tail's job (see log-tail.ts).
 */
export class LogBuffer {
  private matchCache: { filter: string; count: number; source: Snapshot } | undefined;

  private constructor(
    readonly capacity: number,
    private readonly live: Snapshot,
    /** The view while paused; null when following. */
    private readonly frozen: Snapshot | null,
    readonly filter: string,
    readonly newWhilePaused: number,
    /** Lines dropped so far to stay within the capacity. */
    readonly dropped: number,
  ) {}

  static empty(capacity: number = DEFAULT_LOG_CAPACITY): LogBuffer {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`log buffer capacity must be a positive integer, not ${capacity}`);
    return new LogBuffer(capacity, { chunks: [], size: 0 }, null, '', 0, 0);
  }

  /** Lines held now (the live buffer, not the frozen view). */
  get size(): number {
    return this.live.size;
  }

  get paused(): boolean {
    return this.frozen !== null;
  }

  /** The newest line held, or undefined. */
  get newest(): LogLine | undefined {
    const last = this.live.chunks[this.live.chunks.length - 1];
    return last?.[last.length - 1];
  }

  /** Every line held, oldest first (a copy: for tests and exports, not for drawing). */
  toArray(): LogLine[] {
    return this.live.chunks.flat();
  }

  /**
   * Adds lines in timestamp order (ties keep arrival order). Lines newer than
   * everything held, the usual case, touch only the last chunk; a late line
   * rewrites only the chunks from its place to the end.
   */
  append(lines: readonly LogLine[]): LogBuffer {
    if (lines.length === 0) return this;
    const incoming = stableSortByTime(lines);
    const chunks = this.live.chunks;
    // The first chunk that may change: the first whose newest line is later than the earliest incoming line,
    // or the last chunk when it still has room (so chunks stay full).
    let from = firstChunkAfter(chunks, incoming[0].timestamp);
    if (from === chunks.length && from > 0 && chunks[from - 1].length < CHUNK) from -= 1;
    const rest = mergeByTime(chunks.slice(from).flat(), incoming);
    let next: (readonly LogLine[])[] = [...chunks.slice(0, from), ...chunkify(rest)];
    let size = this.live.size + incoming.length;
    const over = size - this.capacity;
    if (over > 0) {
      next = dropOldest(next, over);
      size = this.capacity;
    }
    const added = this.frozen ? countMatching(incoming, this.filter) : 0;
    return new LogBuffer(this.capacity, { chunks: next, size }, this.frozen, this.filter, this.newWhilePaused + added, this.dropped + Math.max(0, over));
  }

  /** Freezes the view where it is; lines keep arriving and are counted. */
  pause(): LogBuffer {
    if (this.frozen) return this;
    return new LogBuffer(this.capacity, this.live, this.live, this.filter, 0, this.dropped);
  }

  /** Back to following: the view shows the newest lines again. */
  resume(): LogBuffer {
    if (!this.frozen) return this;
    return new LogBuffer(this.capacity, this.live, null, this.filter, 0, this.dropped);
  }

  /** Shows only lines whose message or stream contains `text` (any case); empty shows all. */
  setFilter(text: string): LogBuffer {
    const filter = text.trim();
    if (filter === this.filter) return this;
    let fresh = 0;
    if (this.frozen) {
      const before = new Set(this.frozen.chunks.flat());
      for (const chunk of this.live.chunks) for (const line of chunk) if (!before.has(line) && matches(line, filter.toLowerCase())) fresh += 1;
    }
    return new LogBuffer(this.capacity, this.live, this.frozen, filter, fresh, this.dropped);
  }

  clear(): LogBuffer {
    return new LogBuffer(this.capacity, { chunks: [], size: 0 }, this.frozen ? { chunks: [], size: 0 } : null, this.filter, 0, this.dropped);
  }

  /**
   * The slice a screen of `height` rows shows, `offset` lines up from the
   * bottom (0: the newest line is the last row). Walks back from the newest
   * line, so drawing costs the height plus the offset, not the buffer.
   */
  view(height: number, offset = 0): LogView {
    const source = this.frozen ?? this.live;
    const rows = Math.max(0, Math.floor(height));
    const filter = this.filter.toLowerCase();
    const matching = this.filter === '' ? source.size : this.countIn(source);
    const maxOffset = Math.max(0, matching - rows);
    const clamped = Math.min(Math.max(0, Math.floor(offset)), maxOffset);
    const out: LogLine[] = [];
    let skip = clamped;
    outer: for (let c = source.chunks.length - 1; c >= 0; c--) {
      const chunk = source.chunks[c];
      for (let i = chunk.length - 1; i >= 0; i--) {
        if (out.length >= rows) break outer;
        const line = chunk[i];
        if (filter !== '' && !matches(line, filter)) continue;
        if (skip > 0) {
          skip -= 1;
          continue;
        }
        out.push(line);
      }
    }
    out.reverse();
    return { lines: out, offset: clamped, maxOffset, matching, atBottom: clamped === 0, paused: this.paused, newWhilePaused: this.newWhilePaused, filter: this.filter };
  }

  private countIn(source: Snapshot): number {
    const cache = this.matchCache;
    if (cache && cache.filter === this.filter && cache.source === source) return cache.count;
    let count = 0;
    for (const chunk of source.chunks) count += countMatching(chunk, this.filter);
    this.matchCache = { filter: this.filter, count, source };
    return count;
  }
}

function matches(line: LogLine, lowerFilter: string): boolean {
  return line.message.toLowerCase().includes(lowerFilter) || line.stream.toLowerCase().includes(lowerFilter);
}

function countMatching(lines: readonly LogLine[], filter: string): number {
  if (filter === '') return lines.length;
  const lower = filter.toLowerCase();
  let n = 0;
  for (const line of lines) if (matches(line, lower)) n += 1;
  return n;
}

function stableSortByTime(lines: readonly LogLine[]): LogLine[] {
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].timestamp < lines[i - 1].timestamp) return lines.map((line, index) => ({ line, index })).sort((a, b) => a.line.timestamp - b.line.timestamp || a.index - b.index).map((x) => x.line);
  }
  return [...lines];
}

/** Index of the first chunk whose newest line is later than `timestamp` (binary search). */
function firstChunkAfter(chunks: Chunks, timestamp: number): number {
  let lo = 0;
  let hi = chunks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const chunk = chunks[mid];
    if (chunk[chunk.length - 1].timestamp <= timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Both inputs sorted; on equal timestamps the lines already held come first. */
function mergeByTime(held: readonly LogLine[], incoming: readonly LogLine[]): LogLine[] {
  if (held.length === 0) return [...incoming];
  if (held[held.length - 1].timestamp <= incoming[0].timestamp) return [...held, ...incoming];
  const out: LogLine[] = new Array(held.length + incoming.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < held.length && j < incoming.length) out[k++] = incoming[j].timestamp < held[i].timestamp ? incoming[j++] : held[i++];
  while (i < held.length) out[k++] = held[i++];
  while (j < incoming.length) out[k++] = incoming[j++];
  return out;
}

function chunkify(lines: readonly LogLine[]): LogLine[][] {
  const out: LogLine[][] = [];
  for (let i = 0; i < lines.length; i += CHUNK) out.push(lines.slice(i, i + CHUNK));
  return out;
}

function dropOldest(chunks: (readonly LogLine[])[], count: number): (readonly LogLine[])[] {
  let first = 0;
  let left = count;
  while (first < chunks.length && chunks[first].length <= left) {
    left -= chunks[first].length;
    first += 1;
  }
  const kept = chunks.slice(first);
  if (left > 0 && kept.length > 0) kept[0] = kept[0].slice(left);
  return kept;
}
