import { expect, it } from 'vitest';
import * as api from '../../hv/index.ts';

it('exports exactly the public API (update deliberately)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BOARDS',
    'ConfigError',
    'DEFAULT_COSTS',
    'HvError',
    'Hypervisor',
    'ImageError',
    'ImageLockError',
    'InputError',
    'InternalError',
    'MPS2_AN386',
    'NativeLibraryError',
    'UnicornError',
    'UsageError',
    'Vm',
    'bootSystem',
    'chromeTrace',
    'collectStats',
    'defaultCosts',
    'loadSystemFile',
    'readImage',
    'runSystem',
    'singleImageSystem',
    'statsJson',
    'summaryTable',
    'validateSystem',
    'writeChromeTrace',
  ]);
});
