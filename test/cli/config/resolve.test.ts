import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/cli/config/file.js';
import { parseConfigFile } from '../../../src/cli/config/file-schema.js';
import { resolveSettings, type SettingLayers } from '../../../src/cli/config/resolve.js';
import { RUN_SETTING_KEYS, RUN_SETTINGS } from '../../../src/cli/config/settings.js';

const file = { path: '/p/ccasp.config.json', run: { model: 'file-model', concurrency: 3, tokenLimit: 300, maxRetries: 1 } };
const plan = { file: '/p/plan/PROGRESS.json', settings: { maxParallel: 4, tokenLimit: 400 } };

function resolve(layers: Partial<SettingLayers>) {
  return resolveSettings({ flags: {}, env: {}, ...layers });
}

describe('resolveSettings', () => {
  it('gives every setting its default, from the default, when no layer sets anything', () => {
    const r = resolve({});
    for (const key of RUN_SETTING_KEYS) {
      expect(r.values[key]).toBe(RUN_SETTINGS[key].default);
      expect(r.sources[key]).toEqual({ kind: 'default' });
    }
    expect(r.values.concurrency).toBe(1);
    expect(r.values.tokenLimit).toBeUndefined();
  });

  it('takes a flag over a variable over the file over the plan over the default', () => {
    const env = { CCASP_CONCURRENCY: '5', CCASP_TOKEN_LIMIT: '500' };
    const all = resolve({ flags: { concurrency: 6 }, env, file, plan });
    expect([all.values.concurrency, all.sources.concurrency]).toEqual([6, { kind: 'flag', name: '--concurrency' }]);
    expect([all.values.tokenLimit, all.sources.tokenLimit]).toEqual([500, { kind: 'env', name: 'CCASP_TOKEN_LIMIT' }]);
    const noFlag = resolve({ env, file, plan });
    expect([noFlag.values.concurrency, noFlag.sources.concurrency]).toEqual([5, { kind: 'env', name: 'CCASP_CONCURRENCY' }]);
    const noEnv = resolve({ file, plan });
    expect([noEnv.values.concurrency, noEnv.sources.concurrency]).toEqual([3, { kind: 'file', file: file.path }]);
    const noFile = resolve({ plan });
    expect([noFile.values.concurrency, noFile.sources.concurrency]).toEqual([4, { kind: 'plan', file: plan.file }]);
    expect([noFile.values.tokenLimit, noFile.sources.tokenLimit]).toEqual([400, { kind: 'plan', file: plan.file }]);
  });

  it("uses the plan only for settings that have a plan field, and only for what the plan sets", () => {
    const r = resolve({ plan: { file: plan.file, settings: { tokenLimit: 700 } } });
    expect(r.values.tokenLimit).toBe(700);
    expect([r.values.concurrency, r.sources.concurrency]).toEqual([1, { kind: 'default' }]);
    expect(r.sources.maxCostUsd).toEqual({ kind: 'default' });
  });

  it('treats an empty variable as unset', () => {
    const r = resolve({ env: { CCASP_MODEL: '  ', CCASP_OUTPUT: '' }, file });
    expect([r.values.model, r.sources.model]).toEqual(['file-model', { kind: 'file', file: file.path }]);
    expect(r.values.output).toBeUndefined();
  });

  it('reports every bad variable at once, even one a flag overrides', () => {
    const error = (() => {
      try {
        resolve({ flags: { maxRetries: 2 }, env: { CCASP_MAX_RETRIES: '-1', CCASP_TASK_TIMEOUT: 'soon' } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).problems).toEqual([
      { file: 'environment', path: 'CCASP_MAX_RETRIES', message: 'expected a whole number of 0 or more, got "-1"' },
      { file: 'environment', path: 'CCASP_TASK_TIMEOUT', message: 'expected a duration such as "30m", "90s" or "1h", got "soon"' },
    ]);
  });

  it('reads the output setting from the file or CCASP_OUTPUT, which it ignores when unusable (the run warns)', () => {
    const fromFile = resolve({ file: { path: file.path, run: { output: 'silent' } } });
    expect([fromFile.values.output, fromFile.sources.output]).toEqual(['silent', { kind: 'file', file: file.path }]);
    const fromEnv = resolve({ env: { CCASP_OUTPUT: ' Plain ' }, file: { path: file.path, run: { output: 'silent' } } });
    expect([fromEnv.values.output, fromEnv.sources.output]).toEqual(['plain', { kind: 'env', name: 'CCASP_OUTPUT' }]);
    const bad = resolve({ env: { CCASP_OUTPUT: 'fancy' }, file: { path: file.path, run: { output: 'silent' } } });
    expect([bad.values.output, bad.sources.output]).toEqual(['silent', { kind: 'file', file: file.path }]);
  });

  it('reads the variables agents may have as a list in the file, comma-separated in CCASP_AGENT_ENV, and refuses what names none', () => {
    const fromFile = resolve({ file: { path: file.path, run: { agentEnv: ['GH_TOKEN'] } } });
    expect([fromFile.values.agentEnv, fromFile.sources.agentEnv]).toEqual([['GH_TOKEN'], { kind: 'file', file: file.path }]);
    expect(resolve({ env: { CCASP_AGENT_ENV: 'GH_TOKEN, NPM_TOKEN' } }).values.agentEnv).toEqual(['GH_TOKEN', 'NPM_TOKEN']);
    expect(resolve({}).values.agentEnv).toBeUndefined();
    expect(() => resolve({ env: { CCASP_AGENT_ENV: 'GH_TOKEN,$HOME' } })).toThrow(InvalidConfigError);
    const bad = parseConfigFile({ run: { agentEnv: 'GH_TOKEN' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('expected a list of variable names such as ["GH_TOKEN", "NPM_TOKEN"], got "GH_TOKEN"');
  });

  it("reads tool rules as a list in the file and comma-separated in a flag's text, keeping a comma inside a rule, and names a bad rule", () => {
    const fromFile = resolve({ file: { path: file.path, run: { allowedTools: ['Bash(npm test:*)', 'Read'] } } });
    expect([fromFile.values.allowedTools, fromFile.sources.allowedTools]).toEqual([['Bash(npm test:*)', 'Read'], { kind: 'file', file: file.path }]);
    expect(resolve({ env: { CCASP_DISALLOWED_TOOLS: 'Bash(echo a,b), WebFetch' } }).values.disallowedTools).toEqual(['Bash(echo a,b)', 'WebFetch']);
    expect(resolve({}).values.allowedTools).toBeUndefined();
    expect(() => resolve({ env: { CCASP_ALLOWED_TOOLS: 'npm test' } })).toThrow(/CCASP_ALLOWED_TOOLS.*expected a rule in claude's syntax.*got "npm test"/s);
    const bad = parseConfigFile({ run: { disallowedTools: ['Bash(rm:*)', 'rm -rf'] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/expected a rule in claude's syntax.*got "rm -rf"/);
  });
});
