/**
 * How an environment panel fits its content into the rows it is given: pure,
 * so the rule "nothing is dropped without a sign" is tested without Ink.
 *
 * A panel is a title, rows (endpoint, image, health, errors: each one or more
 * screen lines, kept by priority) and lists (events, tasks, deploys: a header
 * and one line per item). When everything fits, everything shows. Otherwise
 * the rows come first (lowest priority number first), the lists share what
 * is left, and whatever is not shown is counted: a list cut short ends in
 * `+N more events`; rows and lists with no room at all are counted on the
 * panel's last line.
 */

export interface PanelRow {
  readonly key: string;
  /** Screen lines of this row, already cut or wrapped to the panel's width. */
  readonly lines: readonly string[];
  /** Lower is kept first. */
  readonly priority: number;
  /** Named in the overflow line when it has no room ("deployed", "targets"). */
  readonly name: string;
  /** May lose its wrapped lines (keeping the first) before being dropped. */
  readonly shrinks?: boolean;
}

export interface PanelList {
  readonly key: string;
  /** Plural noun for the count: "events", "tasks", "deploys". */
  readonly noun: string;
  readonly header: string;
  readonly items: readonly string[];
}

export type FittedLine =
  | { readonly kind: 'title' }
  | { readonly kind: 'row'; readonly key: string; readonly index: number; readonly text: string }
  | { readonly kind: 'header'; readonly key: string; readonly text: string }
  | { readonly kind: 'item'; readonly key: string; readonly index: number; readonly text: string }
  | { readonly kind: 'more'; readonly key: string; readonly text: string };

/** Lines a list takes to show whole: its header and its items (none when it has no item). */
export function listNeed(list: PanelList): number {
  return list.items.length === 0 ? 0 : list.items.length + 1;
}

/** Lines the content takes with nothing cut, title included. */
export function contentHeight(rows: readonly PanelRow[], lists: readonly PanelList[]): number {
  return 1 + rows.reduce((n, r) => n + r.lines.length, 0) + lists.reduce((n, l) => n + listNeed(l), 0);
}

/**
 * The lines to draw in `height` rows: title first, then rows and lists in
 * their given order, each cut as described above. Never more than `height`
 * lines; every row and every item is either drawn or counted.
 */
export function fitPanel(rows: readonly PanelRow[], lists: readonly PanelList[], height: number): FittedLine[] {
  if (height <= 0) return [];
  if (contentHeight(rows, lists) <= height) return assemble(rows, rows.map((r) => r.lines.length), lists, lists.map(listNeed), false);
  // Something is cut: try without an overflow line first, then with one.
  for (const reserve of [0, 1]) {
    const plan = allocate(rows, lists, height - 1 - reserve);
    const needsMarker = plan.rowLines.some((n) => n === 0) || lists.some((l, i) => l.items.length > 0 && plan.listLines[i] === 0);
    if (needsMarker === (reserve === 1) || reserve === 1) return assemble(rows, plan.rowLines, lists, plan.listLines, needsMarker).slice(0, height);
  }
  return [];
}

function allocate(rows: readonly PanelRow[], lists: readonly PanelList[], budget: number): { rowLines: number[]; listLines: number[] } {
  let left = Math.max(0, budget);
  const rowLines = rows.map(() => 0);
  const order = rows.map((r, i) => i).sort((a, b) => rows[a].priority - rows[b].priority || a - b);
  // Rows of priority 0 whole first (the endpoint on two lines is useless on one); then the first line of each other row by priority, then their wrapped lines.
  for (const i of order) {
    const want = rows[i].priority === 0 ? rows[i].lines.length : 1;
    if (left >= want) {
      rowLines[i] = want;
      left -= want;
    }
  }
  for (const i of order) {
    const more = Math.min(left, rows[i].lines.length - rowLines[i]);
    if (rowLines[i] > 0 && more > 0) {
      rowLines[i] += more;
      left -= more;
    }
  }
  // A row that cannot shrink is whole or not at all.
  for (const i of order) {
    if (!rows[i].shrinks && rowLines[i] > 0 && rowLines[i] < rows[i].lines.length) {
      left += rowLines[i];
      rowLines[i] = 0;
    }
  }
  // Lists: a header and one item each (or the count alone), then one more line each in turn.
  const listLines = lists.map(() => 0);
  const need = lists.map(listNeed);
  for (const [i] of lists.entries()) {
    const give = Math.min(need[i], 2, left);
    listLines[i] = give;
    left -= give;
  }
  for (let progress = true; progress && left > 0; ) {
    progress = false;
    for (const [i] of lists.entries()) {
      if (left > 0 && listLines[i] > 0 && listLines[i] < need[i]) {
        listLines[i] += 1;
        left -= 1;
        progress = true;
      }
    }
  }
  return { rowLines, listLines };
}

function assemble(rows: readonly PanelRow[], rowLines: readonly number[], lists: readonly PanelList[], listLines: readonly number[], marker: boolean): FittedLine[] {
  const out: FittedLine[] = [{ kind: 'title' }];
  rows.forEach((r, i) => {
    for (let j = 0; j < rowLines[i]; j++) out.push({ kind: 'row', key: r.key, index: j, text: r.lines[j] });
  });
  lists.forEach((l, i) => {
    const n = listLines[i];
    const total = l.items.length;
    if (n === 0 || total === 0) return;
    if (n === 1) {
      out.push({ kind: 'more', key: l.key, text: `+${total} more ${l.noun}` });
      return;
    }
    out.push({ kind: 'header', key: l.key, text: l.header });
    const whole = n >= total + 1;
    const shown = whole ? total : n - 2;
    for (let j = 0; j < shown; j++) out.push({ kind: 'item', key: l.key, index: j, text: l.items[j] });
    if (!whole) out.push({ kind: 'more', key: l.key, text: `+${total - shown} more ${l.noun}` });
  });
  if (marker) {
    // Counts only, so the line fits a narrow panel; a hidden error or reason is named, it matters most.
    const hidden = rows.filter((_, i) => rowLines[i] === 0);
    const urgent = hidden.filter((r) => r.priority <= 1).map((r) => r.name);
    const parts = [
      ...(hidden.length > 0 ? [`+${hidden.length} more ${hidden.length === 1 ? 'row' : 'rows'}${urgent.length > 0 ? ` (${urgent.join(', ')})` : ''}`] : []),
      ...lists.filter((l, i) => l.items.length > 0 && listLines[i] === 0).map((l) => `+${l.items.length} more ${l.noun}`),
    ];
    out.push({ kind: 'more', key: 'panel', text: parts.join(', ') });
  }
  return out;
}
