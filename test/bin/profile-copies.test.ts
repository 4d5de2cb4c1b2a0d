/**
 * What a new profile copies from another (bin/commands/profiles.ts): a dev profile never keeps the NAT gateways
 * (the stack's, set on the prod profile) that it took from one, whether by `--from` or by the form's start.
 */
import { describe, expect, it } from 'vitest';
import { withoutProdOnlyCopies } from '../../bin/commands/profiles.js';
import type { ProfileFile } from '../../src/config/schema.js';
import { prodProfile } from '../helpers/fixtures.js';

const copy = (extra: Record<string, unknown>) => ({ ...prodProfile({ natGateways: 2 }), ...extra }) as ProfileFile;

describe('withoutProdOnlyCopies', () => {
  it("drops copied NAT gateways from a profile that ends up dev: by its environment, or by its name's default (the form choosing dev for staging)", () => {
    expect(withoutProdOnlyCopies(copy({ profile: 'staging', environment: 'dev' }), 'staging', {}, true).natGateways).toBeUndefined();
    expect(withoutProdOnlyCopies(copy({ profile: 'dev' }), 'dev', {}, true).natGateways).toBeUndefined();
  });

  it('keeps them for a prod profile, when not copied, and when a flag gave them (the check then refuses them by name)', () => {
    expect(withoutProdOnlyCopies(copy({ profile: 'staging' }), 'staging', {}, true).natGateways).toBe(2);
    expect(withoutProdOnlyCopies(copy({ profile: 'staging', environment: 'dev' }), 'staging', {}, false).natGateways).toBe(2);
    expect(withoutProdOnlyCopies(copy({ profile: 'staging', environment: 'dev' }), 'staging', { natGateways: 2 }, true).natGateways).toBe(2);
  });
});
