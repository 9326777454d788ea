import type { Command, Option } from 'commander';

/**
 * Shell completion scripts generated from the program itself (its commands, options, choices and
 * arguments, through commander's public API), so they cannot drift from the CLI. Static: nothing is
 * asked of ccasp while completing, so task ids are not completed; plan paths, choices and options are.
 */
export interface CompletionSpec {
  readonly name: string;
  readonly globalOptions: readonly OptionSpec[];
  readonly commands: readonly CommandSpec[];
}

export interface CommandSpec {
  /** The name, then any aliases. */
  readonly names: readonly string[];
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly args: readonly ArgSpec[];
}

export interface OptionSpec {
  readonly flags: readonly string[];
  readonly description: string;
  /** The value's name (`n`, `path`), when the option takes one. */
  readonly value?: string;
  readonly complete: Completion;
}

export interface ArgSpec {
  readonly name: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly complete: Completion;
}

/** What to offer for a value: paths, a fixed list, the command names, or nothing. */
export type Completion = { readonly kind: 'files' } | { readonly kind: 'choices'; readonly values: readonly string[] } | { readonly kind: 'commands' } | { readonly kind: 'none' };

const PATH_NAME = /(^|-)(dir|file|path)$/;

export function completionSpec(program: Command): CompletionSpec {
  const help = program.createHelp();
  return {
    name: program.name(),
    globalOptions: help.visibleOptions(program).map(optionSpec),
    commands: help.visibleCommands(program).map((cmd) => ({
      names: [cmd.name(), ...cmd.aliases()],
      description: firstLine(cmd.description()),
      // The program's own options (--no-color) are global; commander takes them after a command too.
      options: help.visibleOptions(cmd).map(optionSpec),
      args: cmd.registeredArguments.map((arg) => ({
        name: arg.name(),
        required: arg.required,
        variadic: arg.variadic,
        complete: arg.argChoices
          ? { kind: 'choices', values: arg.argChoices }
          : arg.name() === 'command'
            ? { kind: 'commands' }
            : PATH_NAME.test(arg.name())
              ? { kind: 'files' }
              : { kind: 'none' },
      })),
    })),
  };
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((f): f is string => f !== undefined);
  const takesValue = option.required || option.optional;
  const value = takesValue ? (/[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? 'value') : undefined;
  const complete: Completion = option.argChoices
    ? { kind: 'choices', values: option.argChoices }
    : value !== undefined && PATH_NAME.test(value)
      ? { kind: 'files' }
      : { kind: 'none' };
  return { flags, description: firstLine(option.description), ...(value !== undefined ? { value } : {}), complete };
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/** A single-quoted shell word. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function bashScript(spec: CompletionSpec): string {
  const fn = `_${spec.name.replace(/\W/g, '_')}_completion`;
  const commandNames = spec.commands.flatMap((c) => c.names).join(' ');
  const globalFlags = spec.globalOptions.flatMap((o) => o.flags);
  const lines: string[] = [
    `# bash completion for ${spec.name}. Load it in ~/.bashrc with:  eval "$(${spec.name} completion bash)"`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  local cmd="" cmdi=0 i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    if [[ "${COMP_WORDS[i]}" != -* ]]; then cmd="${COMP_WORDS[i]}"; cmdi=$i; break; fi',
    '  done',
    '  local opts="" valopts=" " args=""',
    '  case "$cmd" in',
    "    '')",
    '      if [[ "$cur" == -* ]]; then',
    `        COMPREPLY=($(compgen -W ${sq(globalFlags.join(' '))} -- "$cur"))`,
    '      else',
    `        COMPREPLY=($(compgen -W ${sq(commandNames)} -- "$cur"))`,
    '      fi',
    '      return 0 ;;',
  ];
  const globalValueless = spec.globalOptions.filter((o) => o.value === undefined && !o.flags.includes('--help') && !o.flags.includes('--version'));
  for (const command of spec.commands) {
    const options = [...command.options, ...globalValueless.filter((g) => !command.options.some((o) => o.flags.some((f) => g.flags.includes(f))))];
    const valued = options.filter((o) => o.value !== undefined);
    lines.push(`    ${command.names.map(sq).join('|')})`);
    lines.push(`      opts=${sq(options.flatMap((o) => o.flags).join(' '))}`);
    if (valued.length > 0) lines.push(`      valopts=${sq(` ${valued.flatMap((o) => o.flags).join(' ')} `)}`);
    lines.push(`      args=${sq(command.args.map((a) => (a.variadic ? `${argWord(a.complete)}...` : argWord(a.complete))).join(' '))}`);
    const withValues = valued.filter((o) => o.complete.kind !== 'none');
    if (withValues.length > 0) {
      lines.push('      case "$prev" in');
      for (const o of withValues) lines.push(`        ${o.flags.map(sq).join('|')}) ${bashOffer(o.complete, commandNames)}; return 0 ;;`);
      lines.push('      esac');
    }
    lines.push('      ;;');
  }
  lines.push(
    '    *) return 0 ;;',
    '  esac',
    '  # An option that takes a value was just typed: its value is free text.',
    '  if [[ "$valopts" == *" $prev "* ]]; then return 0; fi',
    '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return 0; fi',
    '  # Which positional argument is being typed: count the words that are neither options nor their values.',
    '  local n=0 w',
    '  for ((i = cmdi + 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    if [[ "$w" == -* ]]; then',
    '      if [[ "$valopts" == *" $w "* ]]; then ((i++)); fi',
    '      continue',
    '    fi',
    '    ((n++))',
    '  done',
    '  local -a kinds=($args)',
    '  local kind="${kinds[n]}"',
    '  local last="${kinds[${#kinds[@]}-1]}"',
    '  if [[ -z "$kind" && "$last" == *... ]]; then kind="$last"; fi',
    '  kind="${kind%...}"',
    '  case "$kind" in',
    `    files) ${bashOffer({ kind: 'files' }, commandNames)} ;;`,
    `    commands) ${bashOffer({ kind: 'commands' }, commandNames)} ;;`,
    '    choices:*) w="${kind#choices:}"; COMPREPLY=($(compgen -W "${w//,/ }" -- "$cur")) ;;',
    '  esac',
    '  return 0',
    '}',
    `complete -F ${fn} ${spec.name}`,
  );
  return `${lines.join('\n')}\n`;
}

function argWord(c: Completion): string {
  return c.kind === 'choices' ? `choices:${c.values.join(',')}` : c.kind;
}

function bashOffer(c: Completion, commandNames: string): string {
  switch (c.kind) {
    case 'files':
      return 'compopt -o filenames 2>/dev/null; local IFS=$\'\\n\'; COMPREPLY=($(compgen -f -- "$cur"))';
    case 'choices':
      return `COMPREPLY=($(compgen -W ${sq(c.values.join(' '))} -- "$cur"))`;
    case 'commands':
      return `COMPREPLY=($(compgen -W ${sq(commandNames)} -- "$cur"))`;
    case 'none':
      return 'COMPREPLY=()';
  }
}

/** Text inside `[...]` of an `_arguments` spec: `\` and `]` are quoted; the result is single-quoted by the caller. */
function zshExplanation(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\]/g, '\\]');
}

/** One word of an `_arguments` action list `(a b)`: spaces, parentheses and colons are quoted. */
function zshWord(text: string): string {
  return text.replace(/([\\\s():'"])/g, '\\$1');
}

function zshAction(c: Completion, commandNames: readonly string[]): string {
  switch (c.kind) {
    case 'files':
      return '_files';
    case 'choices':
      return `(${c.values.map(zshWord).join(' ')})`;
    case 'commands':
      return `(${commandNames.map(zshWord).join(' ')})`;
    case 'none':
      return ' ';
  }
}

function zshOption(o: OptionSpec, commandNames: readonly string[]): string {
  const explanation = `[${zshExplanation(o.description)}]`;
  const value = o.value !== undefined ? `:${o.value.replace(/:/g, '\\:')}:${zshAction(o.complete, commandNames)}` : '';
  const exclusive = o.flags.includes('--help') || o.flags.includes('--version') ? '(- *)' : o.flags.length > 1 ? `(${o.flags.join(' ')})` : '';
  if (o.flags.length === 1) return sq(`${exclusive}${o.flags[0]}${explanation}${value}`);
  return `${sq(exclusive)}{${o.flags.join(',')}}${sq(`${explanation}${value}`)}`;
}

function zshArg(a: ArgSpec, index: number, commandNames: readonly string[]): string {
  const position = a.variadic ? '*' : String(index + 1);
  return sq(`${position}${a.required ? ':' : '::'}${a.name.replace(/:/g, '\\:')}:${zshAction(a.complete, commandNames)}`);
}

export function zshScript(spec: CompletionSpec): string {
  const fn = `_${spec.name.replace(/\W/g, '_')}`;
  const commandNames = spec.commands.flatMap((c) => c.names);
  const lines: string[] = [
    `#compdef ${spec.name}`,
    `# zsh completion for ${spec.name}. Save it as ${fn} in a folder on $fpath, or load it in ~/.zshrc (after compinit) with:`,
    `#   source <(${spec.name} completion zsh)`,
    `${fn}() {`,
    '  local curcontext="$curcontext" state line ret=1',
    '  typeset -A opt_args',
    '  _arguments -C \\',
    ...spec.globalOptions.map((o) => `    ${zshOption(o, commandNames)} \\`),
    "    '1: :->command' \\",
    "    '*:: :->args' && ret=0",
    '  case $state in',
    '    (command)',
    '      local -a commands',
    '      commands=(',
    ...spec.commands.flatMap((c) => c.names.map((n) => `        ${sq(`${n.replace(/:/g, '\\:')}:${c.description}`)}`)),
    '      )',
    `      _describe -t commands ${sq(`${spec.name} command`)} commands && ret=0`,
    '      ;;',
    '    (args)',
    '      case $words[1] in',
  ];
  const globalValueless = spec.globalOptions.filter((o) => o.value === undefined && !o.flags.includes('--help') && !o.flags.includes('--version'));
  for (const command of spec.commands) {
    const options = [...command.options, ...globalValueless.filter((g) => !command.options.some((o) => o.flags.some((f) => g.flags.includes(f))))];
    const specs = [...options.map((o) => zshOption(o, commandNames)), ...command.args.map((a, i) => zshArg(a, i, commandNames))];
    lines.push(`        (${command.names.map(zshWord).join('|')})`);
    if (specs.length === 0) {
      lines.push('          ret=0 ;;');
      continue;
    }
    lines.push('          _arguments \\');
    specs.forEach((s, i) => lines.push(`            ${s}${i === specs.length - 1 ? ' && ret=0' : ' \\'}`));
    lines.push('          ;;');
  }
  lines.push(
    '      esac',
    '      ;;',
    '  esac',
    '  return ret',
    '}',
    '',
    `if [[ "$funcstack[1]" == "${fn}" ]]; then`,
    `  ${fn} "$@"`,
    'else',
    `  compdef ${fn} ${spec.name}`,
    'fi',
  );
  return `${lines.join('\n')}\n`;
}
