// Benchmark: GitHub's GraphQL points (not requests: GitHub bills points) that scm-github's PR
// polling costs, against the fake GitHub server, which executes every query against GitHub's
// published schema and charges points by GitHub's formula.
//
// For each size it simulates one hour of the lifecycle (a poll every 15 s, the default) on a
// simulated clock, with churn between polls: PRs whose CI starts, passes or fails, that get a
// review with a comment thread, or a push. It reports the points spent, the REST requests (job
// logs), and how long a CI failure or a review took to reach the poll's result (p95, polling
// only: no webhooks). It also measures, with the exact query ao sent before issue 14 (every PR's
// full detail, 50 PRs per query, each poll), what that costs per hour.
// The last line is `points/hour at 200 open PRs: N`. Exit 1 when N > 4,000 (5,000/hour with a
// 20% margin) or the p95 delay exceeds 60 s.
//
// Env: BENCH_PRS (sizes, default 1,10,50,200), BENCH_CHURN (share of PRs changed per poll,
// default 0.02: each PR changes every ~12 minutes), BENCH_MINUTES (simulated, default 60).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = {
  core: join(root, 'packages/core/dist/index.js'),
  scm: join(root, 'packages/plugins/scm-github/dist/index.js'),
  fake: join(root, 'packages/testkit/dist/fake-github.js'),
};
const missing = Object.values(dist).filter((f) => !existsSync(f));
if (missing.length) {
  console.error(`missing builds: ${missing.join(', ')}\nrun \`pnpm build\` first`);
  process.exit(1);
}
const { createPluginContext, silentLogger } = await import(dist.core);
const { default: scmPlugin } = await import(dist.scm);
const { startFakeGitHub } = await import(dist.fake);

const sizes = (process.env.BENCH_PRS ?? '1,10,50,200').split(',').map(Number);
const CHURN = Number(process.env.BENCH_CHURN ?? 0.02);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 60);
const POLL_MS = 15_000;
const POLLS = Math.round((MINUTES * 60_000) / POLL_MS);
const PER_HOUR = 60 / MINUTES;
const REPO = 'acme/app';
const TARGET = 4000;

/** The PR query ao sent on every poll before issue 14 (50 PRs per query), verbatim. */
const BEFORE_FIELDS = `fragment AoPr on PullRequest {
  number state isDraft url title headRefName headRefOid baseRefName mergeable reviewDecision
  latestReviews(first: 20) { nodes { state author { login } } }
  commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: 100) { nodes {
    __typename
    ... on CheckRun { name status conclusion databaseId detailsUrl }
    ... on StatusContext { context state targetUrl }
  } } } } } }
  reviewThreads(first: 100) { nodes { isResolved comments(first: 30) { nodes { author { login } body path line } } } }
}`;

async function beforePointsPerPoll(gh, numbers) {
  let points = 0;
  for (let i = 0; i < numbers.length; i += 50) {
    const prs = numbers.slice(i, i + 50).map((n) => `    pr${n}: pullRequest(number: ${n}) { ...AoPr }`).join('\n');
    const query = `query AoPullRequests {\n  rateLimit { cost remaining limit resetAt }\n  r0: repository(owner: "acme", name: "app") {\n${prs}\n  }\n}\n${BEFORE_FIELDS}`;
    const response = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: { authorization: `token ${gh.token}` }, body: JSON.stringify({ query }) });
    const json = await response.json();
    if (!json.data) throw new Error(`the old query was refused: ${JSON.stringify(json.errors)}`);
    points += json.data.rateLimit.cost;
  }
  return points;
}

/** A deterministic pseudo-random sequence, so every run simulates the same hour. */
function random(seed) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

async function simulate(n) {
  const gh = await startFakeGitHub({ rateLimit: 1_000_000, graphqlPoints: 5000 });
  try {
    gh.addRepo(REPO);
    const numbers = [];
    const prs = [];
    for (let i = 0; i < n; i++) {
      const number = gh.addPullRequest(REPO, { head: `ao/app-${i + 1}`, title: `Session ${i + 1}` });
      const pr = gh.pullRequest(REPO, number);
      gh.setCheckRuns(REPO, pr.headSha, ['build', 'test', 'lint', 'e2e', 'typecheck'].map((name) => ({ name, status: 'completed', conclusion: 'success' })));
      if (i % 3 === 0) gh.addReviewThread(REPO, number, { path: 'src/a.ts', line: 1, comments: [{ body: 'rename this' }, { body: 'and this' }] });
      numbers.push(number);
      prs.push({ id: String(number), title: pr.title, branch: pr.head, baseBranch: pr.base, state: 'open', headSha: pr.headSha });
    }
    const before = await beforePointsPerPoll(gh, numbers);

    const clock = { t: Date.now(), now: () => clock.t, sleep: async (ms) => void (clock.t += ms) };
    const ctx = createPluginContext({
      configDir: root,
      env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token },
      logger: silentLogger,
      clock,
      project: { name: 'app', path: root, defaultBranch: 'main' },
    });
    const scm = await scmPlugin.create(scmPlugin.configSchema.parse({ repo: REPO }), ctx);
    gh.resetRequests();

    const rand = random(n + 7);
    /** Changes waiting to be seen: which PR, what the poll must show, when it happened (poll index). */
    let waiting = [];
    const delays = [];
    let rest = 0;
    let points = 0;
    let firstPoll = 0;
    for (let poll = 0; poll < POLLS; poll++) {
      const statuses = await scm.pollPullRequests(prs.map((p) => ({ ...p, headSha: gh.pullRequest(REPO, Number(p.id)).headSha })));
      if (statuses.size !== n) throw new Error(`poll returned ${statuses.size} statuses for ${n} PRs`);
      const polled = gh.requests.splice(0);
      const cost = polled.reduce((sum, r) => sum + (r.graphqlCost ?? 0), 0);
      if (poll === 0) firstPoll = cost;
      points += cost;
      rest += polled.filter((r) => r.path !== '/graphql' && !r.path.startsWith('/_fake/')).length;
      waiting = waiting.filter((w) => {
        if (!w.seen(statuses.get(String(w.number)))) return true;
        // Worst case: the change landed just after the previous poll.
        delays.push((poll - w.at + 1) * POLL_MS);
        return false;
      });

      // Churn before the next poll (which comes POLL_MS later).
      clock.t += POLL_MS;
      const changes = Math.max(poll % Math.max(1, Math.round(1 / (CHURN * n))) === 0 ? 1 : 0, Math.round(CHURN * n));
      for (let c = 0; c < changes && n > 0; c++) {
        const number = numbers[Math.floor(rand() * n)];
        const pr = gh.pullRequest(REPO, number);
        // A newer change to the same PR before the next poll replaces what there was to see.
        waiting = waiting.filter((w) => w.number !== number || w.at <= poll);
        const kind = Math.floor(rand() * 4);
        if (kind === 0) {
          gh.setCheckRuns(REPO, pr.headSha, ['build', 'test', 'lint', 'e2e', 'typecheck'].map((name) => ({ name, status: 'in_progress' })));
        } else if (kind === 1) {
          const failing = rand() < 0.5 ? 'test' : undefined;
          gh.setCheckRuns(REPO, pr.headSha, ['build', 'test', 'lint', 'e2e', 'typecheck'].map((name) => ({ name, status: 'completed', conclusion: name === failing ? 'failure' : 'success', log: 'FAIL src/auth.test.ts\n  expected 200, got 500\n' })));
          if (failing) waiting.push({ number, at: poll + 1, seen: (s) => s?.ci.state === 'failing' && s.ci.failing.includes('test') });
        } else if (kind === 2) {
          const body = `please fix ${poll}-${c}`;
          gh.addReview(REPO, number, { state: 'CHANGES_REQUESTED', user: `reviewer-${c}` });
          gh.addReviewThread(REPO, number, { path: 'src/b.ts', line: 2, comments: [{ body }] });
          waiting.push({ number, at: poll + 1, seen: (s) => s?.review.decision === 'changes_requested' && s.review.comments.some((x) => x.body === body) });
        } else {
          gh.updatePullRequest(REPO, number, { headSha: `${String(poll).padStart(8, '0')}${String(number).padStart(8, '0')}`.padEnd(40, 'a') });
        }
      }
    }
    const sorted = delays.sort((a, b) => a - b);
    return {
      n,
      firstPoll,
      perHour: Math.round(points * PER_HOUR),
      before: before * (3_600_000 / POLL_MS),
      rest: Math.round(rest * PER_HOUR),
      p95: sorted.length ? percentile(sorted, 95) : 0,
      seen: delays.length,
      // Changes made after the last poll could not be seen yet.
      unseen: waiting.filter((w) => w.at < POLLS).length,
      budget: scm.client.budget(),
    };
  } finally {
    await gh.close();
  }
}

const rows = [];
for (const n of sizes) rows.push(await simulate(n));

const pad = (s, w) => String(s).padStart(w);
console.log(`GitHub GraphQL points of scm-github PR polling: one simulated ${MINUTES}-minute run per size, a poll every ${POLL_MS / 1000} s,`);
console.log(`${Math.round(CHURN * 100)}% of PRs changing per poll (CI started/passed/failed, a review with a thread, a push); fake GitHub charging GitHub's formula.`);
console.log(`${pad('open PRs', 9)} ${pad('1st poll', 9)} ${pad('points/h', 9)} ${pad('before*', 9)} ${pad('REST/h', 7)} ${pad('p95 delay', 10)} ${pad('seen', 5)}  result`);
let over = false;
for (const r of rows) {
  const ok = r.perHour <= TARGET && r.p95 <= 60_000 && r.unseen === 0;
  over ||= !ok;
  console.log(`${pad(r.n, 9)} ${pad(r.firstPoll, 9)} ${pad(r.perHour, 9)} ${pad(r.before, 9)} ${pad(r.rest, 7)} ${pad(`${r.p95 / 1000} s`, 10)} ${pad(r.seen, 5)}  ${ok ? 'OK' : 'OVER TARGET'}`);
}
console.log('* before = the query ao sent before issue 14 (every PR in full, 50 per query, every poll), measured once and × polls per hour.');
console.log(`p95 delay: from a CI failure or review (made just after a poll) to the poll that reports it, polling only (webhooks make it immediate). Target: ≤ ${TARGET} points/h, p95 ≤ 60 s.`);
const last = rows.find((r) => r.n === 200) ?? rows.at(-1);
console.log(`budget seen by ao at the end: ${JSON.stringify({ remaining: last.budget.remaining, pointsPerPoll: last.budget.pointsPerPoll, pacing: last.budget.pacing })}`);
console.log(`points/hour at ${last.n} open PRs: ${last.perHour}`);
process.exitCode = over ? 1 : 0;
