// @ao/github: the one GitHub client ao uses, shared by tracker-github, scm-github and `ao doctor`.
export { createGitHubClient, apiBaseUrl, graphqlUrlFor, githubBudgets, noteGitHubWebhook, DEGRADED_AFTER, type GitHubClient, type GitHubClientOptions, type GitHubHealth } from './client.js';
export { toAoError, httpStatus, isHttpError, type ErrorContext } from './errors.js';
export { githubBudgetLine, githubDoctorChecks, type GitHubDoctorCheck, type GitHubDoctorOptions } from './doctor.js';
export { createPrPoller, signalOf, WEBHOOK_ACTIVE_MS, WEBHOOK_FALLBACK_MS, type GitHubBudget, type PrPoller, type WebhookChange } from './pr-poller.js';
export { readRemainingPages } from './pr-pages.js';
export {
  buildBatchQuery,
  buildPullRequestsQuery,
  detailFields,
  PAGE,
  SIGNAL_FIELDS,
  SIGNALS_PER_QUERY,
  chunkRefs,
  parsePullRequestNode,
  parsePullRequestsResponse,
  prKey,
  PRS_PER_QUERY,
  type GraphQlError,
  type PrCheck,
  type PrRef,
  type PrStatusData,
  type PrThreadComment,
} from './pull-requests.js';
export {
  DEFAULT_RETRY_POLICY,
  lowWaterMark,
  paceDelay,
  rateLimitFromHeaders,
  retryDecision,
  type RateLimit,
  type RetryDecision,
  type RetryPolicy,
} from './rate-limit.js';
export { parseRepo, repoFromRemoteUrl, RepoSchema, type RepoRef } from './repo.js';
export { DEFAULT_API_URL, hostOfApiUrl, resolveToken, tokenFromEnv, type ResolvedToken, type TokenSource } from './token.js';
export { createDeliveryLog, signWebhookBody, verifyWebhookSignature, webhookChange, WEBHOOK_EVENTS, type DeliveryLog } from './webhooks.js';
