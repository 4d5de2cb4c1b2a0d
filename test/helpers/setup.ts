import { afterAll } from 'vitest';
import { removeTempDirs } from './fixtures.js';

// Every test file removes the folders its tempDir() calls made, once all its tests are over.
afterAll(removeTempDirs);
