// `ao completion bash|zsh|fish`: a completion script generated from the command tree itself, so a
// new command or flag completes without anyone editing a script by hand.
import type { Command, Option } from 'commander';
import { AoError } from '@ao/core';

interface Node {
  /** Words from `ao` to this command, e.g. ['session', 'kill']; [] for `ao` itself. */
  path: string[];
  description: string;
  subcommands: Node[];
  /** Long flags (and short ones), with whether each takes a value. */
  options: { long?: string; short?: string; description: string; takesValue: boolean }[];
  /** Whether the command takes a positional argument naming a file. */
  fileArgs: boolean;
}

function walk(cmd: Command, path: string[]): Node {
  const visible = (o: Option) => !(o as Option & { hidden?: boolean }).hidden;
  const options = cmd.options.filter(visible).map((o) => ({
    long: o.long,
    short: o.short,
    description: o.description,
    takesValue: o.required || o.optional,
  }));
  options.push({ long: '--help', short: '-h', description: 'show help', takesValue: false });
  return {
    path,
    description: cmd.description(),
    subcommands: cmd.commands.filter((c) => c.name() !== 'help').map((c) => walk(c, [...path, c.name()])),
    options,
    fileArgs: cmd.registeredArguments.some((a) => /file|path|dir/i.test(a.name())),
  };
}

function flatten(node: Node): Node[] {
  return [node, ...node.subcommands.flatMap(flatten)];
}

const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(root: Node): string {
  const nodes = flatten(root);
  const paths = nodes.filter((n) => n.path.length > 0).map((n) => shellWord(n.path.join(' ')));
  const valueFlags = [...new Set(nodes.flatMap((n) => n.options.filter((o) => o.takesValue).flatMap((o) => [o.long, o.short])))]
    .filter((f): f is string => Boolean(f));
  const cases = nodes.map((n) => {
    const words = [...n.subcommands.map((s) => s.path[s.path.length - 1]!), ...n.options.flatMap((o) => [o.long].filter(Boolean))];
    const files = n.fileArgs ? ' COMPREPLY+=($(compgen -f -- "$cur"));' : '';
    return `    ${shellWord(n.path.join(' '))}) COMPREPLY=($(compgen -W ${shellWord(words.join(' '))} -- "$cur"));${files} ;;`;
  });
  return `# ao completion for bash. Load it with:  source <(ao completion bash)
_ao_complete() {
  local cur prev path w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    ${valueFlags.map(shellWord).join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
  esac
  path=""
  for ((i=1; i<COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "\${path:+$path }$w" in
      ${paths.join('|')}) path="\${path:+$path }$w" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  return 0
}
complete -F _ao_complete ao
`;
}

function zsh(root: Node): string {
  // zsh runs bash completion functions through bashcompinit, which ships with zsh.
  return `#compdef ao
# ao completion for zsh. Load it with:  source <(ao completion zsh)
autoload -U +X compinit && compinit -u
autoload -U +X bashcompinit && bashcompinit
${bash(root).split('\n').slice(1).join('\n')}`;
}

function fish(root: Node): string {
  const lines = ['# ao completion for fish. Load it with:  ao completion fish | source', 'complete -c ao -f'];
  const fishWord = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const node of flatten(root)) {
    // The condition that the words typed so far are exactly this node's path.
    const parentNames = node.subcommands.map((s) => s.path[s.path.length - 1]!);
    const seen = node.path.map((w) => `__fish_seen_subcommand_from ${w}`);
    const notDeeper = parentNames.length ? [`not __fish_seen_subcommand_from ${parentNames.join(' ')}`] : [];
    const atThisNode = node.path.length === 0 ? ['__fish_use_subcommand'] : [...seen, ...notDeeper];
    const cond = fishWord(atThisNode.join('; and '));
    for (const sub of node.subcommands) {
      lines.push(`complete -c ao -n ${cond} -a ${fishWord(sub.path[sub.path.length - 1]!)} -d ${fishWord(sub.description)}`);
    }
    const optCond = node.path.length === 0 ? cond : fishWord(seen.join('; and '));
    for (const o of node.options) {
      const parts = ['complete -c ao -n', optCond];
      if (o.long) parts.push('-l', o.long.replace(/^--/, ''));
      if (o.short) parts.push('-s', o.short.replace(/^-/, ''));
      if (o.takesValue) parts.push('-r', '-F');
      parts.push('-d', fishWord(o.description));
      lines.push(parts.join(' '));
    }
    if (node.fileArgs) lines.push(`complete -c ao -n ${cond} -F`);
  }
  return `${lines.join('\n')}\n`;
}

const shells = { bash, zsh, fish } as const;

export async function run(args: unknown[], _globals: unknown, program: Command): Promise<number> {
  const shell = String(args[0] ?? '');
  if (!(Object.hasOwn(shells, shell))) {
    throw new AoError('USAGE', `unknown shell "${shell}": use one of bash, zsh, fish (e.g. \`source <(ao completion bash)\`)`);
  }
  process.stdout.write(shells[shell as keyof typeof shells](walk(program, [])));
  return 0;
}
