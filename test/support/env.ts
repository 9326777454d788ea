/**
 * What from the environment of the test run must not reach a process a test starts: settings of the
 * developer's shell, of CI, or of an enclosing Claude Code session that would change what ccasp,
 * claude, git or a stand-in agent do (colour, CI output, a GitHub token, real Anthropic credentials,
 * ccasp's own settings, a git hook's GIT_DIR, the stand-ins' knobs). A test passes what it means.
 */
const DROPPED = new Set(['FORCE_COLOR', 'NO_COLOR', 'CI', 'GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'GH_TOKEN', 'GITHUB_TOKEN', 'GITHUB_API_URL', 'CLAUDECODE']);
const DROPPED_PREFIXES = ['CCASP_', 'CLAUDE_', 'ANTHROPIC_', 'GIT_', 'CHAOS_', 'STUB_AGENT_'];

/** The test run's environment without the settings above, with `extra` on top. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (DROPPED.has(key) || DROPPED_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}
