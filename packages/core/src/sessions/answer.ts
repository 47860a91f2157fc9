/**
 * Answers and keys: what `send` does when the agent waits on a menu, and `ao send --keys`.
 *
 * The agent TUIs ignore pasted text inside their menus, so a pasted "No" followed by Enter
 * confirmed the highlighted "Yes". While a menu shows (the agent plugin's `readMenu`), a message
 * is an answer: it becomes the keys that select the option it names (the plugin's `menuKeys`),
 * or it is refused with the options listed and nothing is sent. Reactions never answer a menu.
 * All of it runs under the session's delivery lock (see `delivery.ts`), between reading the
 * screen and the last key, so no other delivery can change the menu in between.
 */
import type { Agent, AgentMenu, MenuOption } from '../contracts/agent.js';
import type { Runtime, RuntimeHandle } from '../contracts/runtime.js';
import { keyBytes, resolveMenuAnswer, describeOptions } from '../activity/menus.js';
import { AoError } from '../errors.js';

/** How a delivery treats a menu on the agent's screen. */
export interface MenuPolicy {
  /** `answer` (people): select the option the text names. `refuse` (reactions): send nothing. */
  mode: 'answer' | 'refuse';
  sessionId: string;
}

/** The option a message selects, and the keys that select it. */
export interface MenuAnswer {
  menu: AgentMenu;
  option: MenuOption;
  keys: string[];
}

/**
 * Decides from the agent's screen (its plugin's `readMenu` and `menuKeys`): `undefined` when no
 * menu shows (deliver the text as usual), the answer's keys when one does, or throws —
 * `ANSWER_NOT_IN_MENU` for an answer that names no option, `SESSION_STATE` when a reaction meets a
 * menu. Throws before anything is sent.
 */
export function planMenuAnswer(agent: Pick<Agent, 'readMenu' | 'menuKeys'>, screen: string | undefined, text: string, policy: MenuPolicy): MenuAnswer | undefined {
  if (!agent.readMenu || !agent.menuKeys) return undefined;
  const menu = screen === undefined ? undefined : agent.readMenu(screen);
  if (!menu) return undefined;
  if (policy.mode === 'refuse') {
    throw new AoError(
      'SESSION_STATE',
      `${policy.sessionId} is waiting on a menu (${menu.prompt || menu.kind}: ${describeOptions(menu)}); ao does not answer it for you. A human answers with \`ao send ${policy.sessionId} <answer>\`. Nothing was sent.`,
      { details: { menu } },
    );
  }
  const option = resolveMenuAnswer(menu, text, policy.sessionId);
  const keys = agent.menuKeys(menu, option);
  if (keys.length === 0) throw new AoError('AGENT_FAILED', `The agent plugin gave no keys for option ${option.number} (${option.label}) of ${policy.sessionId}'s menu; answer with \`ao send ${policy.sessionId} --keys …\`. Nothing was sent.`);
  keys.forEach(keyBytes); // a plugin's bad key name fails here, before any key is sent
  return { menu, option, keys };
}

/** Sends `keys` (single characters or key names) one at a time, each as its own write. */
export async function sendKeys(runtime: Runtime, handle: RuntimeHandle, keys: readonly string[]): Promise<void> {
  const bytes = keys.map(keyBytes);
  for (const b of bytes) await runtime.sendText(handle, b, { submit: false, bracketedPaste: false });
}
