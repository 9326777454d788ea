import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeArgs, redactResult, type ClaudeOptions } from '../../src/agents/delegate.js';
import { agentToolPermissions, bashRules, permissionDenial } from '../../src/agents/permissions.js';
import type { AgentRequest } from '../../src/agents/request.js';
import { loadRole } from '../../src/agents/roles.js';
import { isToolRule, mergeToolPermissions, splitToolRules } from '../../src/plan/tool-rules.js';
import { tempDir } from '../support/tmp.js';

const NONE = { allow: [], deny: [] };

describe('tool rules', () => {
  it("accept claude's syntax: a tool name with an optional specifier", () => {
    for (const rule of ['Read', 'Bash(npm test:*)', 'Bash(npm run build && npm test)', 'WebFetch(domain:example.org)', 'mcp__github__get_issue', 'Edit(src/**)']) {
      expect(isToolRule(rule), rule).toBe(true);
    }
    for (const rule of ['', 'npm test', 'Bash (npm test)', 'Bash()', 'Bash( )', 'Bash(npm test', '(npm)', '9Read']) {
      expect(isToolRule(rule), rule).toBe(false);
    }
  });

  it('split at commas outside parentheses', () => {
    expect(splitToolRules('Bash(npm test:*), Read,Bash(echo a,b)')).toEqual(['Bash(npm test:*)', 'Read', 'Bash(echo a,b)']);
    expect(splitToolRules(' , ')).toEqual([]);
  });

  it('merge every layer, each rule once, keeping the denies apart from the allows', () => {
    expect(mergeToolPermissions([{ allow: ['Read', 'Bash(ls:*)'], deny: ['WebFetch'] }, undefined, { allow: ['Read'], deny: ['Bash(rm:*)'] }])).toEqual({
      allow: ['Read', 'Bash(ls:*)'],
      deny: ['WebFetch', 'Bash(rm:*)'],
    });
  });
});

describe("an agent's rules", () => {
  const plan = { testCommand: 'npm test', permissions: { allow: ['Bash(npm run lint:*)'], deny: ['WebFetch'] } } as const;
  const task = { verify: 'node --check src/a.js', permissions: { allow: ['Bash(make:*)'], deny: [] } } as const;

  it("let it run its task's check, the plan's test command and read-only git by default", () => {
    const rules = agentToolPermissions({}, { verify: 'node --check src/a.js' }, NONE, NONE);
    expect(rules.allow).toEqual(expect.arrayContaining(['Bash(node --check src/a.js)', 'Bash(git status:*)', 'Bash(git diff:*)', 'Bash(git log:*)']));
    expect(rules.allow.some((r) => /git (commit|push|reset|checkout)/.test(r))).toBe(false);
    expect(rules.deny).toEqual([]);
    expect(agentToolPermissions({ testCommand: 'npm test' }, {}, NONE, NONE).allow).toContain('Bash(npm test)');
  });

  it("add the run's, the plan's, the task's and the specialist's rules", () => {
    const rules = agentToolPermissions(plan, task, { allow: ['Bash(npx vitest:*)'], deny: ['Bash(git push:*)'] }, { allow: ['Read'], deny: ['Bash(curl:*)'] });
    expect(rules.allow).toEqual(expect.arrayContaining(['Bash(npx vitest:*)', 'Bash(npm run lint:*)', 'Bash(make:*)', 'Read']));
    expect(rules.deny).toEqual(['Bash(git push:*)', 'WebFetch', 'Bash(curl:*)']);
  });

  it('reach claude as one --allowedTools or --disallowedTools argument per rule', () => {
    const request = { plan, task, route: { model: 'sonnet' }, sessionId: 's' } as unknown as AgentRequest;
    const options = { permissionMode: 'acceptEdits', permissions: { allow: ['Bash(echo a,b)'], deny: ['Bash(rm:*)'] } } as unknown as ClaudeOptions;
    const args = claudeArgs(request, options, { text: 'role', permissions: { allow: [], deny: ['Bash(curl:*)'] } });
    expect(args).toContain('--allowedTools=Bash(node --check src/a.js)');
    expect(args).toContain('--allowedTools=Bash(echo a,b)');
    expect(args.filter((a) => a.startsWith('--disallowedTools='))).toEqual(['--disallowedTools=Bash(rm:*)', '--disallowedTools=WebFetch', '--disallowedTools=Bash(curl:*)']);
  });
});

describe('a denied call', () => {
  it('names the rule that would allow a command: the program, and its subcommand for a program that has them', () => {
    expect(bashRules('npm install left-pad')).toBe('Bash(npm install:*)');
    expect(bashRules('ls -la')).toBe('Bash(ls:*)');
    expect(bashRules('cat notes.txt')).toBe('Bash(cat:*)');
    expect(bashRules('git push origin main')).toBe('Bash(git push:*)');
    expect(bashRules('npx vitest run')).toBe('Bash(npx vitest:*)');
    expect(bashRules('echo done')).toBe('Bash(echo:*)');
    expect(bashRules('npm --version')).toBe('Bash(npm:*)');
    expect(bashRules('npm ci && npm test | tee out.log; npm test')).toBe('Bash(npm ci:*),Bash(npm test:*),Bash(tee:*)');
  });

  it('keeps what the call was for and the rule', () => {
    expect(permissionDenial('Bash', { command: 'npm install left-pad', description: 'x' })).toEqual({ tool: 'Bash', input: 'npm install left-pad', rule: 'Bash(npm install:*)' });
    expect(permissionDenial('WebFetch', { url: 'https://example.org/a', prompt: 'x' })).toEqual({ tool: 'WebFetch', input: 'https://example.org/a', rule: 'WebFetch(domain:example.org)' });
    expect(permissionDenial('Write', { file_path: '/etc/hosts', content: 'x' })).toEqual({ tool: 'Write', input: '/etc/hosts', rule: 'Write' });
    expect(permissionDenial('mcp__x__y', { q: 1 })).toEqual({ tool: 'mcp__x__y', input: '{"q":1}', rule: 'mcp__x__y' });
  });
});

describe('a denial kept or shown', () => {
  it('is scrubbed of secrets like the rest of what claude said', () => {
    const result = { isError: false, subtype: 'success', text: '', errors: [], numTurns: 1, durationMs: 1, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 } };
    const denials = [permissionDenial('Bash', { command: 'curl -H "Authorization: sk-secret-1234567890" x' }), permissionDenial('Bash', { command: 'sk-secret-1234567890 --go' })];
    const scrubbed = redactResult({ ...result, denials }, (t) => t.replaceAll('sk-secret-1234567890', '[redacted]'));
    expect(JSON.stringify(scrubbed.denials)).not.toContain('sk-secret');
    expect(scrubbed.denials).toEqual([
      { tool: 'Bash', input: 'curl -H "Authorization: [redacted]" x', rule: 'Bash(curl:*)' },
      { tool: 'Bash', input: '[redacted] --go', rule: 'Bash([redacted]:*)' },
    ]);
  });
});

describe("a specialist's rules", () => {
  const project = (frontmatter: string): string => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.claude', 'agents'), { recursive: true });
    writeFileSync(path.join(dir, '.claude', 'agents', 'l2-general-specialist.md'), `---\nname: l2-general-specialist\n${frontmatter}\n---\nDo the task.\n`);
    return dir;
  };

  it('come from allowedTools and disallowedTools in its frontmatter, one line, comma-separated', () => {
    const role = loadRole(project('tools: Read, Bash\nallowedTools: Bash(npm test:*), Read\ndisallowedTools: "Bash(git push:*)"'), 'l2-general-specialist');
    expect(role).toEqual({ text: 'Do the task.', permissions: { allow: ['Bash(npm test:*)', 'Read'], deny: ['Bash(git push:*)'] } });
    expect(loadRole(project('tools: Read'), 'l2-general-specialist').permissions).toEqual(NONE);
  });

  it('are refused, naming the file and the field, when one is not a rule or they are not on one line', () => {
    const bad = project('allowedTools: npm test');
    expect(() => loadRole(bad, 'l2-general-specialist')).toThrow(`${path.join(bad, '.claude', 'agents', 'l2-general-specialist.md')}: allowedTools: expected a rule in claude's syntax`);
    expect(() => loadRole(project('disallowedTools:\n  - Bash(rm:*)'), 'l2-general-specialist')).toThrow(/disallowedTools: write the rules on the field's own line/);
  });
});
