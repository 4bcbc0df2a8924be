/**
 * zod's English messages for the schemas built with zod/mini (core/system-config.ts,
 * core/scheduler-config.ts, time/cost-file.ts): zod/mini has none until a locale is configured.
 * zod itself sets this same locale when it builds its first schema, so both say the same.
 */
import { config } from 'zod/mini';
import { globalConfig } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

/** Configures zod's English messages unless a locale is set already. */
export function useEnglishMessages(): void {
  if (!globalConfig.localeError) config(en());
}
