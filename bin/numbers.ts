import { InvalidArgumentError } from 'commander';

/**
 * A numeric flag's value within its bounds, or commander's refusal (exit 2)
 * naming the bounds. Bounded so that no value reaches a timer beyond what
 * setTimeout takes (2^31-1 ms) or an API beyond what it accepts.
 */
export function boundedNumber(text: string, bounds: { min: number; max: number; unit: string; whole?: boolean }): number {
  const { min, max, unit, whole } = bounds;
  const shape = whole ? /^\s*\d+\s*$/ : /^\s*(\d+(\.\d*)?|\.\d+)\s*$/;
  const value = Number(text);
  if (!shape.test(text) || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(`expected ${whole ? 'a whole number' : 'a number'} of ${unit} from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** `test --timeout`: seconds to wait for the health route. */
export const TIMEOUT_BOUNDS = { min: 0.1, max: 600, unit: 'seconds' } as const;

const MIN_REFRESH_S = 1;
const MAX_REFRESH_S = 3600;

/** `--refresh SECONDS` -> milliseconds; a bad value is refused by commander (exit 2). */
export function parseRefresh(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < MIN_REFRESH_S || seconds > MAX_REFRESH_S) {
    throw new InvalidArgumentError(`expected a number of seconds from ${MIN_REFRESH_S} to ${MAX_REFRESH_S}, got "${value}"`);
  }
  return Math.round(seconds * 1000);
}
