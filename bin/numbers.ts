import { InvalidArgumentError } from 'commander';
import { REFRESH_SECONDS, refreshMs } from '../src/state/poll-interval.js';

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

/**
 * `--refresh SECONDS` -> milliseconds; a bad value is refused by commander (exit 2). Marked for the
 * front's route (bin/route.ts), which reads the option with the same {@link refreshMs}.
 */
export function parseRefresh(value: string): number {
  const ms = refreshMs(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected a number of seconds from ${REFRESH_SECONDS.min} to ${REFRESH_SECONDS.max}, got "${value}"`);
  return ms;
}
parseRefresh.route = 'refresh' as const;
