/**
 * The code cache file's parts read raw, as src/infra/compile-cache.ts lays them out (8 bytes of magic, the
 * header's length, the header, each installation's table, the bytecode), and written back: for tests that
 * change what a file holds, and for bench/synth.mjs's shared cache. Not the tool's reader, which checks what this
 * takes as it is.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type EntryRow = [file: string, stamp: string, offset: number, length: number, sum: string];
export type AnswerRow = [from: string, request: string, result: string, paths: number[]];

export interface CacheTable {
  entries: EntryRow[];
  paths: [string, string][];
  resolutions: AnswerRow[];
}

export interface CacheLayout {
  header: { identity: string; loader: string | null; [more: string]: unknown };
  /** By installation, in the file's order; a table given as a Buffer is written as it is. */
  tables: Map<string, CacheTable | Buffer>;
  data: Buffer;
}

export function readCacheLayout(file: string): CacheLayout {
  const bytes = readFileSync(file);
  const headerEnd = 12 + bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.toString('utf8', 12, headerEnd)) as CacheLayout['header'] & { tables: number; groups: [string, number, number][] };
  const tables = new Map<string, CacheTable>();
  for (const [root, offset, length] of header.groups) tables.set(root, JSON.parse(bytes.toString('utf8', headerEnd + offset, headerEnd + offset + length)) as CacheTable);
  const data = bytes.subarray(headerEnd + header.tables);
  const { tables: _, groups: __, ...rest } = header;
  return { header: rest, tables, data };
}

/** Writes `layout` to `file` (mode 0600). */
export function writeCacheLayout(file: string, layout: CacheLayout): void {
  let at = 0;
  const texts: Buffer[] = [];
  const groups = [...layout.tables].map(([root, t]) => {
    const text = Buffer.isBuffer(t) ? t : Buffer.from(JSON.stringify(t));
    texts.push(text);
    const row = [root, at, text.length];
    at += text.length;
    return row;
  });
  const header = Buffer.from(JSON.stringify({ ...layout.header, tables: at, groups }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  writeFileSync(file, Buffer.concat([Buffer.from('BDCODE2\n'), length, header, ...texts, layout.data]), { mode: 0o600 });
}

/** The answers a cache file keeps, of every installation. */
export function keptAnswerCount(file: string): number {
  return [...readCacheLayout(file).tables.values()].reduce((n, t) => n + (Buffer.isBuffer(t) ? 0 : t.resolutions.length), 0);
}

/** Rewrites the header of the cache file at `file` as `edit` returns it, the rest of the file as it was. */
export function rewriteCacheHeader(file: string, edit: (header: Record<string, unknown>) => Record<string, unknown>): void {
  const bytes = readFileSync(file);
  const headerEnd = 12 + bytes.readUInt32LE(8);
  const header = Buffer.from(JSON.stringify(edit(JSON.parse(bytes.toString('utf8', 12, headerEnd)) as Record<string, unknown>)));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, 8), length, header, bytes.subarray(headerEnd)]), { mode: 0o600 });
}
