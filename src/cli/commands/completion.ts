import { Argument, Command } from 'commander';
import path from 'node:path';
import type { Io } from '../io.js';
import { bashScript, completionSpec, zshScript } from '../render/completion-script.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** `program` is read when the command runs, so the script covers every command registered by then. */
export function completionCommand(io: Io, program: Command): Command {
  return new Command('completion')
    .description('print a shell completion script for ccasp (bash or zsh)')
    .addArgument(new Argument('[shell]', 'bash or zsh (default: the one in $SHELL, else bash)').choices(SHELLS))
    .addHelpText(
      'after',
      [
        '',
        'Load it:',
        '  bash  add to ~/.bashrc:  eval "$(ccasp completion bash)"',
        '  zsh   add to ~/.zshrc after compinit:  source <(ccasp completion zsh)',
        '        or save it on $fpath:  ccasp completion zsh > "${fpath[1]}/_ccasp"',
      ].join('\n'),
    )
    .action((shell: Shell | undefined) => {
      const chosen = shell ?? (path.basename(io.env.SHELL ?? '') === 'zsh' ? 'zsh' : 'bash');
      const spec = completionSpec(program);
      io.stdout.write(chosen === 'zsh' ? zshScript(spec) : bashScript(spec));
    });
}
