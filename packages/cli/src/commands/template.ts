import { readFile } from 'node:fs/promises';
import { AoError, createTemplateStore, parseTemplateRef, pickProject, systemClock, TEMPLATE_NAMES, type TemplateStore } from '@ao/core';
import { loadCliContext, type CliContext, type GlobalOptions } from '../context.js';
import { color, print, table } from '../render.js';

async function load(globals: GlobalOptions, project?: string): Promise<CliContext & { templates: TemplateStore; project: ReturnType<typeof pickProject> }> {
  const ctx = await loadCliContext(globals);
  return { ...ctx, templates: createTemplateStore(ctx.paths, systemClock), project: pickProject(ctx.config, project, ctx.cwd) };
}

/** `ao template ls [--json]`: each template's versions, the current one marked. */
export async function list([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean; project?: string };
  const { templates, project } = await load(globals, flags.project);
  const all = await Promise.all(TEMPLATE_NAMES.map((name) => templates.versions(name, project)));
  if (flags.json) {
    print(JSON.stringify(all.flat(), null, 2));
    return 0;
  }
  print(
    table(
      ['TEMPLATE', 'VERSION', 'SOURCE', 'FIRST LINE'],
      all.flat().map((v) => [`${v.name}@${v.version}`, v.current ? color.green(`${v.version} (current)`) : String(v.version), v.source, (v.text.split('\n')[0] ?? '').slice(0, 60)]),
    ),
  );
  return 0;
}

/** `ao template show <name>[@<version>]`: the text (the current version without @). */
export async function show([ref, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { project?: string };
  const { name, version } = parseTemplateRef(String(ref));
  const { templates, project } = await load(globals, flags.project);
  const text = version === undefined ? (await templates.current(name, project)).text : (await templates.get(name, version, project)).text;
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

/** `ao template set <name> --file F`: a new version, current from the next spawn on. */
export async function set([ref, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { file?: string };
  const { name, version } = parseTemplateRef(String(ref));
  if (version !== undefined) throw new AoError('USAGE', 'set makes a new version: name the template without @<version>', { exitCode: 2 });
  if (!flags.file) throw new AoError('USAGE', 'give the new text with --file <file> (- for stdin)', { exitCode: 2 });
  const text = flags.file === '-' ? await readStdin() : await readFile(flags.file, 'utf8');
  const { templates } = await load(globals);
  const created = await templates.set(name, text, flags.file === '-' ? 'stdin' : flags.file);
  print(`${name}@${created.version} is current: the next spawn uses it (\`ao template rollback ${name}\` goes back)`);
  return 0;
}

/** `ao template rollback <name> [<version>]`. */
export async function rollback([ref, version]: unknown[], globals: GlobalOptions): Promise<number> {
  const { name } = parseTemplateRef(String(ref));
  const target = version === undefined ? undefined : Number(version);
  if (target !== undefined && !Number.isInteger(target)) throw new AoError('USAGE', `"${String(version)}" is not a version number`, { exitCode: 2 });
  const { templates } = await load(globals);
  const now = await templates.rollback(name, target);
  print(`${name}@${now} is current`);
  return 0;
}

/** `ao template diff <name> <v1> <v2>`: lines removed (-) and added (+) from v1 to v2. */
export async function diff([ref, a, b, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { project?: string };
  const { name } = parseTemplateRef(String(ref));
  const { templates, project } = await load(globals, flags.project);
  const [from, to] = await Promise.all([templates.get(name, Number(a), project), templates.get(name, Number(b), project)]);
  print(`--- ${name}@${from.version}\n+++ ${name}@${to.version}`);
  for (const line of lineDiff(from.text.split('\n'), to.text.split('\n'))) print(line.startsWith('-') ? color.red(line) : line.startsWith('+') ? color.green(line) : line);
  return 0;
}

/** A line diff by longest common subsequence: ` same`, `-removed`, `+added`. Templates are short. */
function lineDiff(a: string[], b: string[]): string[] {
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i++]}`);
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push(`+${b[j++]}`);
    else out.push(`-${a[i++]}`);
  }
  return out;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}
