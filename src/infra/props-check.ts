import type { IConstruct } from 'constructs';
import { UserErrors } from '../errors.js';

/**
 * Collects every problem with a construct's props, then throws once listing
 * all of them, so a caller fixes its input in one pass instead of one error
 * per synth. Messages name the construct's path and the prop.
 */
export class PropsCheck {
  private readonly problems: string[] = [];

  constructor(private readonly where: string) {}

  /** Records a problem unless `ok`. `got` is shown as JSON; never pass a secret. */
  expect(ok: boolean, prop: string, expected: string, got?: unknown): this {
    if (!ok) this.problems.push(`${this.where}: ${prop}: expected ${expected}${got === undefined ? '' : `, got ${show(got)}`}`);
    return this;
  }

  /** Throws a {@link UserErrors} listing every recorded problem, if any. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new UserErrors(this.problems);
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isWholeNumber(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The path a construct `id` under `scope` will have, for messages written before it exists. */
export function pathOf(scope: IConstruct, id: string): string {
  return scope.node.path ? `${scope.node.path}/${id}` : id;
}
