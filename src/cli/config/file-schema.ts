import * as z from 'zod';
import { RUN_SETTING_KEYS, RUN_SETTINGS, type ConfigFile, type ValueKind } from './settings.js';

/**
 * The schema of `ccasp.config.json`, built from the settings table so that a value means the same
 * in the file as in a flag or the environment. Only readConfigFile imports it, and lazily: the rest
 * of the CLI starts without zod. Unknown keys are errors, so typos are caught.
 */

function fileValue<T>(kind: ValueKind<T>) {
  return z
    .unknown()
    .transform((value, ctx): T => {
      const read = kind.fromFile(value);
      if (read.ok) return read.value;
      ctx.issues.push({ code: 'custom', message: read.message, input: value });
      return z.NEVER;
    })
    .optional();
}

const runSettings = z.strictObject(Object.fromEntries(RUN_SETTING_KEYS.map((key) => [key, fileValue<unknown>(RUN_SETTINGS[key].kind)])));

const configFile = z.strictObject({ $schema: z.string().optional(), run: runSettings.optional() });

export function parseConfigFile(raw: unknown): z.ZodSafeParseResult<ConfigFile> {
  // The keys and kinds come from RUN_SETTINGS, typed per key there; Object.fromEntries loses that.
  return configFile.safeParse(raw) as z.ZodSafeParseResult<ConfigFile>;
}
