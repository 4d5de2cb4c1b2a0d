import { describe, expect, it } from 'vitest';
import { confirmationWord, prodUpdateRefusal, rollbackRequest, updatesProd } from '../../src/infra/operations.js';
import { UserError } from '../../src/errors.js';
import type { OtherEnvironment } from '../../src/infra/deploy.js';

const RECORDS = '/cfg/deploy.json';
const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('rollbackRequest: the image and the release it was served as', () => {
  it('a digest goes back with the release deploy.json recorded for it, naming the entry', () => {
    expect(rollbackRequest('prod', RECORDS, { imageTag: DIGEST, deployedAt: 't', contractTag: '0.8.0' }, 3)).toEqual({
      imageTag: DIGEST,
      contractTag: '0.8.0',
      imageTagSource: `${RECORDS}: prod.history[3].imageTag`,
      contractTagSource: `${RECORDS}: prod.history[3].contractTag`,
    });
  });

  it('a version tag needs no record: its own version is its release', () => {
    expect(rollbackRequest('dev', RECORDS, { imageTag: '0.7.2', deployedAt: 't' }, 0)).toEqual({ imageTag: '0.7.2', imageTagSource: `${RECORDS}: dev.history[0].imageTag` });
  });

  it('a digest with no recorded release is refused, not served as the latest release', () => {
    for (const tag of [DIGEST, `sha256:${'0'.repeat(64)}`]) {
      let error: unknown;
      try {
        rollbackRequest('prod', RECORDS, { imageTag: tag, deployedAt: 't' }, 1);
      } catch (e) {
        error = e;
      }
      expect(error, tag).toBeInstanceOf(UserError);
      expect((error as UserError).message).toBe(
        `${RECORDS}: prod.history[1].imageTag: the release of ${tag} is unknown: deploy.json does not record which release it was deployed as, and serving it as the latest (0.18.0) could start helper containers the image lacks`,
      );
      expect((error as UserError).hint).toBe(
        'roll back by version tag (`benchling-deploy deploy --environment prod --image-tag VERSION`), or pass the version (`benchling-deploy rollback --environment prod --release VERSION`); nothing was changed',
      );
    }
  });

  it('another tag naming no release (latest, a branch tag) is served as a deploy of it is: the plan says the latest release is assumed', () => {
    for (const tag of ['latest', 'main-1a2b3c']) expect(rollbackRequest('dev', RECORDS, { imageTag: tag, deployedAt: 't' }, 2), tag).toEqual({ imageTag: tag, imageTagSource: `${RECORDS}: dev.history[2].imageTag` });
    expect(rollbackRequest('dev', RECORDS, { imageTag: 'latest', deployedAt: 't', contractTag: '0.16.0' }, 2).contractTag).toBe('0.16.0');
  });

  it('--release gives the release when deploy.json does not; it must be a version', () => {
    expect(rollbackRequest('prod', RECORDS, { imageTag: DIGEST, deployedAt: 't' }, 1, '0.8.0')).toEqual({ imageTag: DIGEST, contractTag: '0.8.0', imageTagSource: `${RECORDS}: prod.history[1].imageTag`, contractTagSource: '--release' });
    expect(() => rollbackRequest('prod', RECORDS, { imageTag: DIGEST, deployedAt: 't' }, 1, 'latest')).toThrow('--release: "latest" is not a release version (like 0.8.0)');
  });
});

describe('confirmationWord: what must be typed', () => {
  const prod = (change: OtherEnvironment['change']): OtherEnvironment[] => [{ environment: 'prod', change, passed: change === 'kept' ? [] : ['ProdConsumers'] }];

  it('prod, promote, and a dev deploy that updates prod\'s service need "prod"; a dev deploy that keeps or creates prod asks y/N', () => {
    expect(confirmationWord('deploy', 'prod')).toBe('prod');
    expect(confirmationWord('rollback', 'prod')).toBe('prod');
    expect(confirmationWord('promote', 'prod')).toBe('prod');
    expect(confirmationWord('deploy', 'dev', prod('updated'))).toBe('prod');
    expect(confirmationWord('rollback', 'dev', prod('updated'))).toBe('prod');
    expect(confirmationWord('deploy', 'dev', prod('kept'))).toBeNull();
    expect(confirmationWord('deploy', 'dev', prod('created'))).toBeNull();
    expect(confirmationWord('deploy', 'dev')).toBeNull();
  });

  it('updatesProd and its refusal', () => {
    expect(updatesProd({ environment: 'dev', others: prod('updated') })).toBe(true);
    expect(updatesProd({ environment: 'dev', others: prod('kept') })).toBe(false);
    expect(updatesProd({ environment: 'dev', others: prod('created') })).toBe(false);
    expect(updatesProd({ environment: 'prod', others: [{ environment: 'dev', change: 'updated', passed: ['DevConsumers'] }] })).toBe(false);
    const refusal = prodUpdateRefusal({ environment: 'dev', others: prod('updated') });
    expect(refusal.message).toBe('this dev deploy would change prod\'s running service too (its parameters ProdConsumers are new to the stack); it is not done without typing "prod" on a terminal');
    expect(refusal.hint).toBe('deploy prod first (`benchling-deploy deploy --environment prod`), then this; nothing was changed');
  });
});
