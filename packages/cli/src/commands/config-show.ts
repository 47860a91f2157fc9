import { redact, stringify, valueAt } from '@ao/core';
import { loadCliContext, type GlobalOptions } from '../context.js';
import { print } from '../render.js';

const SECRET_VAR = /(TOKEN|SECRET|PASSWORD|PASSWD|KEY|WEBHOOK|AUTH)/i;

/** Prints the fully resolved config: defaults filled in, each slot bound to a plugin, secrets masked. */
export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const { config, env } = await loadCliContext(globals);
  // A value that came (partly) from a secret-looking environment variable is shown with that part
  // masked. Matching is on whole values, so a short secret never garbles unrelated text.
  const masked = new Map<string, string>();
  for (const { path, vars, template } of config.interpolated) {
    const value = valueAt(config.parsed, path);
    if (typeof value !== 'string' || !vars.some((v) => SECRET_VAR.test(v))) continue;
    // Re-expand the template as written, with each secret variable shown as ***.
    const shown = template.replace(/\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[name as string];
      if (v === undefined || v === '') return fallback ?? '';
      return SECRET_VAR.test(name as string) ? '***' : v;
    });
    masked.set(value, shown);
  }
  const mask = (value: unknown, key = ''): unknown => {
    if (typeof value === 'string') {
      if (masked.has(value)) return masked.get(value);
      // Incoming-webhook URLs are credentials in themselves; other URLs keep only their origin.
      if (/^webhookUrl$/i.test(key)) return '***';
      if (/url$/i.test(key) && /^https?:\/\//.test(value)) return maskUrl(value);
      return value;
    }
    if (Array.isArray(value)) return value.map((v) => mask(v, key));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
    return value;
  };
  const slot = (s: { plugin: string; config: unknown }) =>
    s.config && typeof s.config === 'object' && Object.keys(s.config).length ? { plugin: s.plugin, ...(s.config as object) } : s.plugin;
  const view = {
    file: config.file,
    projects: Object.fromEntries(
      Object.values(config.projects).map((p) => [
        p.name,
        {
          path: p.path,
          defaultBranch: p.defaultBranch ?? '(detected from the repository)',
          sessionPrefix: p.sessionPrefix,
          autonomy: p.autonomy,
          runtime: slot(p.runtime),
          workspace: slot(p.workspace),
          agent: p.agentName === p.agent.plugin ? slot(p.agent) : { name: p.agentName, ...(slot(p.agent) as object) },
          tracker: slot(p.tracker),
          scm: slot(p.scm),
          terminal: slot(p.terminal),
          notifiers: p.notifiers.map(slot),
          postCreate: p.postCreate,
          copyFiles: p.copyFiles,
        },
      ]),
    ),
    agents: Object.fromEntries(Object.entries(config.parsed.agents)),
    plugins: config.plugins,
    limits: config.limits,
    autonomy: config.autonomy,
    reactions: config.reactions,
    dashboard: config.dashboard,
    lifecycle: config.lifecycle,
    approvals: config.approvals,
    orchestrator: config.orchestrator,
  };
  const safe = redact(mask(view));
  if ((opts as { json?: boolean } | undefined)?.json) print(JSON.stringify(safe, null, 2));
  else process.stdout.write(stringify(safe));
  return 0;
}


function maskUrl(value: string): string {
  try {
    const u = new URL(value);
    return u.pathname === '/' && !u.search ? `${u.origin}/` : `${u.origin}/***`;
  } catch {
    return '***';
  }
}
