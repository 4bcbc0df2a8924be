import { expect, it } from 'vitest';
import * as api from '../../hv/index.ts';

it('exports exactly the public API (update deliberately)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BOARDS',
    'CheckpointError',
    'ConfigError',
    'DEFAULT_COSTS',
    'HvError',
    'ImageError',
    'ImageLockError',
    'InputError',
    'InternalError',
    'MPS2_AN386',
    'NativeLibraryError',
    'Session',
    'UnicornError',
    'UsageError',
    'chromeTrace',
    'defaultCosts',
    'loadSystemFile',
    'singleImageSystem',
    'statsJson',
    'summaryTable',
    'validateSystem',
    'writeChromeTrace',
  ]);
});
