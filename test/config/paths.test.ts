import { describe, expect, it } from 'vitest';
import { absolutePath, resolveConfigDir } from '../../src/config/paths.js';

describe('resolveConfigDir', () => {
  it('prefers the flag, made absolute', () => {
    expect(resolveConfigDir('/x/y', { XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/x/y');
    expect(resolveConfigDir('rel', {}, '/home/u')).toBe(`${process.cwd()}/rel`);
  });
  it('uses XDG_CONFIG_HOME when set and not empty', () => {
    expect(resolveConfigDir(undefined, { XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/xdg/benchling-webhook');
    expect(resolveConfigDir(undefined, { XDG_CONFIG_HOME: '' }, '/home/u')).toBe('/home/u/.config/benchling-webhook');
  });
  it('falls back to ~/.config', () => {
    expect(resolveConfigDir(undefined, {}, '/home/u')).toBe('/home/u/.config/benchling-webhook');
  });
});

describe('absolutePath', () => {
  it('keeps an absolute path (normalized) and takes a relative one from the working folder', () => {
    expect(absolutePath('/x/../y/', '--out')).toBe('/y');
    expect(absolutePath('a/b', '--out')).toBe(`${process.cwd()}/a/b`);
  });
});
