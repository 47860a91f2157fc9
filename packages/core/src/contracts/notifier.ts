/** Notifier: tells a human that something needs them or happened. */

export interface Notification {
  /** What happened, e.g. `ci-failed`, `needs-input`, `merged`. */
  event: string;
  title: string;
  body: string;
  /** `action` means a human must do something. */
  level: 'info' | 'warn' | 'action' | 'error';
  project?: string;
  sessionId?: string;
  /** Where to look (dashboard or PR URL). */
  url?: string;
}

export interface Notifier {
  /**
   * Called by reactions. Resolves once delivered (after the plugin's own retries); rejects with
   * an `AoError` when it could not deliver, which the caller logs without stopping other notifiers.
   */
  notify(notification: Notification): Promise<void>;
}
