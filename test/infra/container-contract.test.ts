import { describe, expect, it } from 'vitest';
import {
  CONSUMERS,
  CONTAINER_VARIABLES,
  TASK_PERMISSIONS,
  UNSERVABLE,
  consumersFor,
  contractRelease,
  inRange,
  permissionsUsed,
  releaseOf,
  unservable,
  variablesRead,
} from '../../src/infra/container-contract.js';

describe('the container contract', () => {
  it('cites, for every item, a tag inside the range it claims', () => {
    const items = [...CONTAINER_VARIABLES, ...TASK_PERMISSIONS, ...CONSUMERS, ...UNSERVABLE];
    for (const item of items) {
      expect(item.sources.length, JSON.stringify(item)).toBeGreaterThan(0);
      for (const source of item.sources) {
        const tag = /^v(\d+\.\d+\.\d+):[^:]+:\d+$/.exec(source);
        expect(tag, source).not.toBeNull();
        // A lib/ (CDK) citation may come from the newest release; docker/ code must be inside the range.
        if (source.includes(':docker/')) expect(inRange(tag![1], item), `${source} for ${'name' in item ? item.name : JSON.stringify(item)}`).toBe(true);
      }
    }
  });

  it('knows which variables each release reads, on both sides of the boundaries', () => {
    const names = (release: string) => variablesRead(release).map((v) => v.name);
    expect(names('0.7.10')).toEqual(expect.arrayContaining(['QuiltStackARN', 'BenchlingSecret', 'FLASK_ENV', 'PORT']));
    expect(names('0.7.10')).not.toContain('QUILT_WEB_HOST');
    expect(names('0.8.2')).toEqual(expect.arrayContaining(['QUILT_WEB_HOST', 'ATHENA_USER_DATABASE', 'PACKAGER_SQS_URL']));
    expect(names('0.8.8')).toContain('FLASK_ENV');
    expect(names('0.8.9')).not.toContain('FLASK_ENV');
    expect(names('0.8.9')).toContain('APP_ENV');
    expect(names('0.16.0')).not.toContain('PACKAGE_EVENT_QUEUE_URL');
    expect(names('0.17.0')).toContain('PACKAGE_EVENT_QUEUE_URL');
    expect(names('0.17.0')).not.toContain('PACKAGING_REQUEST_QUEUE_URL');
    expect(names('0.18.0')).toContain('PACKAGING_REQUEST_QUEUE_URL');
  });

  it('knows which permissions each release uses', () => {
    const on = (release: string) => permissionsUsed(release).map((p) => p.on);
    expect(on('0.7.10')).toContain('quiltStack');
    expect(on('0.8.2')).not.toContain('quiltStack');
    expect(on('0.10.0')).toContain('athenaResultsBucket');
    expect(on('0.11.0')).not.toContain('athenaResultsBucket');
    expect(on('0.18.0')).toEqual(expect.arrayContaining(['secret', 'packageBucket', 'packageObjects', 'packagerQueue', 'glueCatalog', 'athenaWorkgroup', 'packageEventQueue', 'packagingRequestQueue']));
    // No wildcard action and no delete: narrower than the older tool's role.
    for (const p of TASK_PERMISSIONS) for (const a of p.actions) expect(a).not.toMatch(/\*|Delete(Object|Bucket)|Tagging|Notification/);
  });

  it('chooses the consumers by version, and the latest contract for a tag that is no version', () => {
    expect(consumersFor('0.16.0')).toBe('none');
    expect(consumersFor('0.17.0')).toBe('events');
    expect(consumersFor('0.17.2')).toBe('events+packaging');
    expect(consumersFor('v0.18.0')).toBe('events+packaging');
    expect(contractRelease('latest')).toEqual({ release: '0.18.0', assumed: true });
    expect(contractRelease(`sha256:${'a'.repeat(64)}`)).toEqual({ release: '0.18.0', assumed: true });
    expect(contractRelease('0.9.9')).toEqual({ release: '0.9.9', assumed: false });
    expect(contractRelease('9.0.0').assumed).toBe(true);
    expect(releaseOf('0.17.2-rc1')).toEqual([0, 17, 2]);
    expect(releaseOf('main')).toBeUndefined();
  });

  it('refuses exactly the releases the stack cannot serve', () => {
    expect(unservable('0.9.0')).toBeUndefined();
    expect(unservable('0.9.1')).toMatch(/binds port 8080/);
    expect(unservable('0.9.5')).toMatch(/binds port 8080/);
    expect(unservable('0.9.6')).toMatch(/cannot start/);
    expect(unservable('0.9.7')).toBeUndefined();
    expect(unservable('0.6.9')).toMatch(/before 0\.7\.0/);
    expect(unservable('0.7.0')).toBeUndefined();
    expect(unservable('latest')).toBeUndefined();
  });
});
