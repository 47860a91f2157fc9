/**
 * The sh scripts this plugin runs on a host, one per operation, so every operation is ONE ssh
 * round trip (a send is alive-check + load-buffer + paste + Enter + receipt in one call).
 *
 * Scripts are fixed text plus shQuote'd names and paths that ao made (session names, directories
 * under the host's root): no user text, no secret. What is data travels on stdin. tmux runs on
 * its own socket under the root (`<root>/tmux.sock`), apart from the host user's own tmux.
 *
 * Exit statuses the runtime reads: 3 the session does not exist (or is not alive, for send),
 * 4 it is already running, 5 the working directory is missing, 6 a tmux command failed,
 * 7-9 preparing the workspace failed (8 also: removing it failed), 95 git missing, 96 tmux missing, 97 the root is unusable.
 */
import { REGENERABLE_DIRS, shQuote } from '@ao/core/plugin';

export const EXIT = {
  missing: 3,
  running: 4,
  noCwd: 5,
  tmuxFailed: 6,
  repoFailed: 7,
  worktreeFailed: 8,
  postCreateFailed: 9,
  noGit: 95,
  noTmux: 96,
  badRoot: 97,
} as const;

const q = shQuote;

/** tmux reads a word ending in `;` as a command separator; `\;` is its escape (as runtime-tmux's escapeTmuxArg). */
const tmuxWord = (word: string): string => q(word.endsWith(';') ? `${word.slice(0, -1)}\\;` : word);

/**
 * Enters the root (created 0700, relative to the remote home) and defines `T` (tmux on ao's socket)
 * and `alive_of NAME` (prints alive, dead or missing; `=NAME:` matches the session exactly).
 */
function prelude(root: string, needs: { tmux?: boolean; git?: boolean } = {}): string {
  return [
    'cd || exit 97',
    `R=${q(root)}`,
    'mkdir -p -m 700 -- "$R" 2>/dev/null',
    'cd -- "$R" 2>/dev/null || { echo "cannot create or enter the directory $R" >&2; exit 97; }',
    'ROOT=$(pwd -P)',
    ...(needs.tmux ? ['command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed (or not on the PATH of ssh sessions)" >&2; exit 96; }'] : []),
    ...(needs.git ? ['command -v git >/dev/null 2>&1 || { echo "git is not installed (or not on the PATH of ssh sessions)" >&2; exit 95; }'] : []),
    'T() { tmux -S "$ROOT/tmux.sock" "$@"; }',
    `alive_of() { s=$(T list-panes -s -t "=$1:" -F '#{pane_dead}' 2>/dev/null) || { echo missing; return 0; }; case "$s" in *0*) echo alive;; *) echo dead;; esac; }`,
  ].join('\n');
}

/**
 * What placement and `ao doctor` need from a host, as `key=value` lines: the root's absolute path,
 * memory available and free disk (KiB), tmux and git versions, how many live sessions of `prefix`
 * run there, whether `workspace` (a session's remote workspace) exists, and where each of
 * `programs` is.
 */
export function probeScript(root: string, prefix: string, workspaceName?: string, programs: readonly string[] = []): string {
  return [
    prelude(root),
    'echo "root=$ROOT"',
    `echo "mem=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null)"`,
    `echo "disk=$(df -Pk -- "$ROOT" 2>/dev/null | awk 'NR==2 {print $4}')"`,
    'echo "tmux=$(tmux -V 2>/dev/null)"',
    'echo "git=$(git --version 2>/dev/null)"',
    `P=${q(prefix)}`,
    `echo "owned=$(T list-panes -a -F '#{session_name} #{pane_dead}' 2>/dev/null | awk -v p="$P" 'index($1, p) == 1 && $2 == 0 {print $1}' | sort -u | wc -l | tr -d ' ')"`,
    ...(workspaceName ? [`[ -d "$ROOT/workspaces/"${q(workspaceName)} ] && echo "workspace=1"`] : []),
    // `program:<index>=<path>` for each program found on the PATH of ssh sessions (or as given, when absolute).
    ...programs.map((program, i) => `p=$(command -v ${q(program)} 2>/dev/null) && echo "program:${i}=$p"`),
    'exit 0',
  ].join('\n');
}

/**
 * The root (`@root <path>`), every tmux session on ao's socket (`name pane_dead` per pane: tmux prints a tab in a format as `_`,
 * and names have no spaces), then after a `@refs` line
 * the branch heads of each repository in `repos` (`index<TAB>branch<TAB>sha`): one call answers
 * liveness for all of a host's sessions and tells which branches moved.
 */
export function listScript(root: string, repos: readonly string[] = []): string {
  return [
    prelude(root),
    'echo "@root $ROOT"',
    `T list-panes -a -F '#{session_name} #{pane_dead}' 2>/dev/null`,
    'echo @refs',
    ...repos.map(
      (repo, i) =>
        `git -C ${q(repo)} for-each-ref --format='%(refname:strip=2)\t%(objectname)' refs/heads/ 2>/dev/null | while IFS= read -r l; do printf '%s\\t%s\\n' ${i} "$l"; done`,
    ),
    'exit 0',
  ].join('\n');
}

export interface StartScriptOptions {
  name: string;
  cwd: string;
  /** Absolute path the launch script (stdin) is written to, 0600 in a 0700 directory. */
  launchFile: string;
  cols: number;
  rows: number;
  remainOnExit: boolean;
}

/** Starts the tmux session with `/bin/sh <launch file>`; the launch script arrives on stdin. */
export function startScript(root: string, o: StartScriptOptions): string {
  const newSession = [
    'T new-session -d -s "$N" -c', tmuxWord(o.cwd), '-x', String(o.cols), '-y', String(o.rows), '-- /bin/sh "$F"',
    ...(o.remainOnExit ? ['\\;', 'set-option -w -t "=$N:" remain-on-exit on'] : []),
  ].join(' ');
  return [
    prelude(root, { tmux: true }),
    `N=${q(o.name)}; F=${q(o.launchFile)}`,
    'case "$(alive_of "$N")" in alive) echo "tmux session $N is already running on this host" >&2; exit 4;; dead) T kill-session -t "=$N" 2>/dev/null;; esac',
    'mkdir -p -m 700 -- "$ROOT/launch" && chmod 700 -- "$ROOT/launch" || exit 97',
    '(umask 077 && set -C && cat > "$F") || { echo "cannot write the launch file $F" >&2; exit 97; }',
    `[ -d ${q(o.cwd)} ] || { rm -f -- "$F"; echo "no directory "${q(o.cwd)}" on this host" >&2; exit 5; }`,
    // A server that is exiting (its last session just ended) refuses new clients: try again.
    'i=0; while :; do',
    `  out=$(${newSession} 2>&1) && break`,
    '  i=$((i + 1))',
    '  case "$out" in *"server exited unexpectedly"*|*"no server running"*|*"error connecting"*) [ "$i" -lt 3 ] && { sleep 1; continue; };; esac',
    '  rm -f -- "$F"; echo "tmux new-session failed: $out" >&2; exit 6',
    'done',
    'exit 0',
  ].join('\n');
}

/** Ends the session; quiet when it (or the whole tmux server) is gone. */
export function stopScript(root: string, name: string): string {
  return [prelude(root), `T kill-session -t =${q(name)} 2>/dev/null`, 'exit 0'].join('\n');
}

/** `alive`, `dead` or `missing`. */
export function aliveScript(root: string, name: string): string {
  return [prelude(root), `alive_of ${q(name)}`].join('\n');
}

export interface SendScriptOptions {
  name: string;
  buffer: string;
  bracketed: boolean;
  submit: boolean;
  /** A session option set in the same tmux command as the paste: the receipt of the delivery. */
  receipt?: string;
  /** A pause between paste and Enter inside the same tmux command (`run-shell -d`). */
  submitDelayMs?: number;
}

/**
 * Pastes stdin literally: load-buffer from stdin (no byte of the text is parsed by anything),
 * then paste, Enter and the receipt in ONE tmux command, which tmux runs without another
 * client's commands in between.
 */
export function sendScript(root: string, o: SendScriptOptions): string {
  const paste = [
    'T paste-buffer -b "$B" -t "=$N:"', ...(o.bracketed ? ['-p'] : []), '-d',
    ...(o.submit && o.submitDelayMs ? ['\\;', `run-shell -d ${(o.submitDelayMs / 1000).toFixed(3)}`] : []),
    ...(o.submit ? ['\\;', 'send-keys -t "=$N:" Enter'] : []),
    ...(o.receipt ? ['\\;', `set-option -t "=$N:" ${q(o.receipt)} 1`] : []),
  ].join(' ');
  return [
    prelude(root, { tmux: true }),
    `N=${q(o.name)}; B=${q(o.buffer)}`,
    '[ "$(alive_of "$N")" = alive ] || exit 3',
    'T load-buffer -b "$B" - || exit 6',
    `${paste} || { T delete-buffer -b "$B" 2>/dev/null; exit 6; }`,
    'exit 0',
  ].join('\n');
}

/** delivered, not-delivered (its buffer, if still loaded, is deleted) or unknown (no session). */
export function deliveryScript(root: string, name: string, buffer: string, receipt: string): string {
  return [
    prelude(root),
    `N=${q(name)}; B=${q(buffer)}`,
    'T has-session -t "=$N" 2>/dev/null || { echo unknown; exit 0; }',
    `[ -n "$(T show-options -qv -t "=$N:" ${q(receipt)} 2>/dev/null)" ] && { echo delivered; exit 0; }`,
    'T show-buffer -b "$B" >/dev/null 2>&1 && T delete-buffer -b "$B"',
    'echo not-delivered',
  ].join('\n');
}

export function forgetScript(root: string, name: string, receipt: string): string {
  return [prelude(root), `T set-option -qu -t =${q(name)}: ${q(receipt)} 2>/dev/null`, 'exit 0'].join('\n');
}

/** The screen of each session, each preceded by `<marker> <index>`; a gone one by `<marker> <index> missing`. */
export function captureScript(root: string, names: readonly string[], lines: number, marker: string): string {
  const scrollback = lines > 0 ? ` -S -${lines}` : '';
  return [
    prelude(root),
    ...names.map(
      (name, i) =>
        `if T has-session -t =${q(name)} 2>/dev/null; then echo ${q(`${marker} ${i}`)}; T capture-pane -p -J -t =${q(name)}:${scrollback}; else echo ${q(`${marker} ${i} missing`)}; fi`,
    ),
    'exit 0',
  ].join('\n');
}

/** Attaches the terminal running this script to the session (for `ssh -t`). */
export function attachScript(root: string, name: string): string {
  return [prelude(root, { tmux: true }), `exec tmux -S "$ROOT/tmux.sock" attach-session -t =${q(name)}`].join('\n');
}

/** Ends ao's tmux server on the host (every session on its socket). For tests and teardown. */
export function killServerScript(root: string): string {
  return [prelude(root), 'T kill-server 2>/dev/null', 'exit 0'].join('\n');
}

export interface PrepareScriptOptions {
  repo: string;
  workspace: string;
}

/** Creates the host's bare clone if missing; says whether the session's remote workspace exists. */
export function prepareScript(root: string, o: PrepareScriptOptions): string {
  return [
    prelude(root, { git: true }),
    `REPO=${q(o.repo)}; WS=${q(o.workspace)}`,
    'mkdir -p -m 700 -- "$ROOT/repos" "$ROOT/workspaces" || exit 97',
    '[ -d "$REPO" ] || git init -q --bare -- "$REPO" >&2 || exit 7',
    '[ -d "$WS" ] && echo "workspace=1"',
    'exit 0',
  ].join('\n');
}

export interface WorktreeScriptOptions extends PrepareScriptOptions {
  branch: string;
  postCreate: readonly (readonly string[])[];
}

/**
 * Checks the pushed branch out in a worktree of the host's clone, writes the files that arrive on
 * stdin (`mode base64(path) base64(content)` per line: untracked files of the local workspace,
 * such as `.env`), then runs postCreate there. On failure removes the worktree (nothing of the
 * agent's is in it yet).
 */
export function worktreeScript(root: string, o: WorktreeScriptOptions): string {
  const undo = 'git -C "$REPO" worktree remove --force -- "$WS" >/dev/null 2>&1; rm -rf -- "$WS"';
  return [
    prelude(root, { git: true }),
    `REPO=${q(o.repo)}; WS=${q(o.workspace)}`,
    `git -C "$REPO" worktree add -q -- "$WS" ${q(o.branch)} >&2 || exit 8`,
    'cd -- "$WS" || exit 8',
    'while IFS=" " read -r mode path data; do',
    '  p=$(printf "%s" "$path" | base64 -d) || continue',
    '  case "$p" in /*|../*|*/../*) continue;; esac',
    '  mkdir -p -- "$(dirname -- "$p")" && printf "%s" "$data" | base64 -d > "$p" && chmod "$mode" "$p" || { ' + undo + '; exit 8; }',
    'done',
    ...o.postCreate.map(
      (argv) => `${argv.map(q).join(' ')} >&2 || { echo "postCreate failed: "${q(argv.join(' '))} >&2; cd; ${undo}; exit 9; }`,
    ),
    // What is untracked now (copied files, postCreate's output) is ao's: cleanup does not count it as work.
    `${UNTRACKED} > "$(git rev-parse --absolute-git-dir)/${BASELINE}" 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

/** Where a remote worktree remembers its untracked paths at creation (in its own git dir: it goes with it). */
const BASELINE = 'ao-untracked-at-create';
/** Untracked paths, then gitignored ones (a wholly ignored directory as one entry), as the local workspace's check lists them. */
const UNTRACKED = '{ git ls-files --others --exclude-standard; git ls-files --others --ignored --exclude-standard --directory; }';

export interface CleanupScriptOptions {
  repo: string;
  workspace: string;
  branch: string;
  /** Commits this machine has (the local branch head…): the host's are safe when one of them contains them. */
  known: readonly string[];
  dryRun: boolean;
  forceIgnored: boolean;
}

/**
 * Checks the session's remote worktree and, when removing it loses nothing, removes it (`git
 * worktree remove`, `prune`, and the branch of the host's clone), in one call. Prints what would
 * be lost, one `@unfetched <sha>` (a commit there that no commit in `known` contains), `@changed
 * <status line>`, `@untracked <path>` or `@ignored <path>` (new since creation, outside
 * REGENERABLE_DIRS) per line, then `@result gone|kept|would-remove|removed`.
 */
export function cleanupScript(root: string, o: CleanupScriptOptions): string {
  const regenerable = REGENERABLE_DIRS.map((d) => `$i == ${JSON.stringify(d)}`).join(' || ');
  return [
    prelude(root, { git: true }),
    `REPO=${q(o.repo)}; WS=${q(o.workspace)}; BR=${q(o.branch)}`,
    '[ -d "$WS" ] || { git -C "$REPO" worktree prune 2>/dev/null; echo "@result gone"; exit 0; }',
    'cd -- "$WS" || exit 8',
    `B="$(git rev-parse --absolute-git-dir)/${BASELINE}"; [ -f "$B" ] || B=/dev/null`,
    `known() { for k in ${o.known.map(q).join(' ')}; do [ "$1" = "$k" ] && return 0; git cat-file -e "$k^{commit}" 2>/dev/null && git merge-base --is-ancestor "$1" "$k" 2>/dev/null && return 0; done; return 1; }`,
    'lose=0',
    'for c in $(git rev-parse -q --verify HEAD) $(git -C "$REPO" rev-parse -q --verify "refs/heads/$BR"); do known "$c" || { echo "@unfetched $c"; lose=1; }; done',
    `C=$(git status --porcelain --untracked-files=no) || exit 8`,
    `U=$(git ls-files --others --exclude-standard | grep -vxF -f "$B")`,
    `I=$(git ls-files --others --ignored --exclude-standard --directory | grep -vxF -f "$B" | awk -F/ '{ for (i = 1; i <= NF; i++) if (${regenerable}) next; print }')`,
    `[ -n "$C" ] && { printf '%s\n' "$C" | sed 's/^/@changed /'; lose=1; }`,
    `[ -n "$U" ] && { printf '%s\n' "$U" | sed 's/^/@untracked /'; lose=1; }`,
    `[ -n "$I" ] && { printf '%s\n' "$I" | sed 's/^/@ignored /'; ${o.forceIgnored ? ':' : 'lose=1'}; }`,
    '[ "$lose" = 0 ] || { echo "@result kept"; exit 0; }',
    ...(o.dryRun ? ['echo "@result would-remove"; exit 0'] : []),
    'cd -- "$ROOT" || exit 8',
    'git -C "$REPO" worktree remove --force -- "$WS" >&2 || exit 8',
    'git -C "$REPO" worktree prune >&2',
    'git -C "$REPO" update-ref -d "refs/heads/$BR" 2>/dev/null',
    'echo "@result removed"',
  ].join('\n');
}
