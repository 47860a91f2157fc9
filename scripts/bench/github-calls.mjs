// Benchmark: HTTP requests per lifecycle poll of scm-github (what the lifecycle does once per poll
// per project: `scm.pollPullRequests(allOpenPrs)`), counted by the fake GitHub server, for a first
// poll and for a second poll when nothing changed. Target: 2 + ceil(N/50) requests per poll.
// One PR in every set has a failing check, so the first poll also pays for one job log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
/** What a per-PR REST poller would send: GET pull, check-runs, combined status, reviews (+ review comments). */
const NAIVE_PER_PR = 4;
const REPO = 'acme/app';

async function measure(n) {
  const gh = await startFakeGitHub({ rateLimit: 1_000_000 });
  try {
    gh.addRepo(REPO);
    const prs = [];
    for (let i = 0; i < n; i++) {
      const number = gh.addPullRequest(REPO, { head: `ao/app-${i + 1}`, title: `Session ${i + 1}` });
      const pr = gh.pullRequest(REPO, number);
      gh.setCheckRuns(REPO, pr.headSha, [
        i === 0
          ? { name: 'test', status: 'completed', conclusion: 'failure', log: 'FAIL src/auth.test.ts\n  expected 200, got 500\n' }
          : { name: 'test', status: 'completed', conclusion: 'success' },
      ]);
      if (i % 3 === 0) gh.addReviewThread(REPO, number, { path: 'src/a.ts', line: 1, comments: [{ body: 'rename this' }] });
      prs.push({ id: String(number), title: pr.title, branch: pr.head, baseBranch: pr.base, state: 'open', headSha: pr.headSha });
    }
    const ctx = createPluginContext({
      configDir: root,
      env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token },
      logger: silentLogger,
      project: { name: 'app', path: root, defaultBranch: 'main' },
    });
    const scm = await scmPlugin.create(scmPlugin.configSchema.parse({ repo: REPO }), ctx);
    const poll = async () => {
      gh.resetRequests();
      const budget = gh.getRateLimit().remaining;
      const statuses = await scm.pollPullRequests(prs);
      if (statuses.size !== n) throw new Error(`poll returned ${statuses.size} statuses for ${n} PRs`);
      // Log downloads are redirected to a blob URL (as on GitHub): the redirect target is not an API request.
      const api = gh.requests.filter((r) => !r.path.startsWith('/_fake/'));
      return { requests: api.length, graphql: api.filter((r) => r.path === '/graphql').length, cost: budget - gh.getRateLimit().remaining };
    };
    const first = await poll();
    const second = await poll();
    return { n, first, second, target: 2 + Math.ceil(n / 50), naive: NAIVE_PER_PR * n };
  } finally {
    await gh.close();
  }
}

const rows = [];
for (const n of sizes) rows.push(await measure(n));

const pad = (s, w) => String(s).padStart(w);
console.log('GitHub requests per lifecycle poll (scm-github pollPullRequests, one project, fake GitHub server)');
console.log(`${pad('open PRs', 9)} ${pad('1st poll', 9)} ${pad('(graphql)', 10)} ${pad('2nd poll', 9)} ${pad('(graphql)', 10)} ${pad('target', 7)} ${pad('naive REST*', 12)}  result`);
let over = false;
for (const r of rows) {
  const ok = r.first.requests <= r.target && r.second.requests <= r.target;
  over ||= !ok;
  console.log(
    `${pad(r.n, 9)} ${pad(r.first.requests, 9)} ${pad(r.first.graphql, 10)} ${pad(r.second.requests, 9)} ${pad(r.second.graphql, 10)} ${pad(r.target, 7)} ${pad(r.naive, 12)}  ${ok ? 'OK' : 'OVER TARGET'}`,
  );
}
console.log('target = 2 + ceil(N/50). 1st poll includes one failing job log (fetched once per head sha; the 2nd poll reuses it).');
console.log(`* naive REST = ${NAIVE_PER_PR} requests per PR (GET pull, check-runs, combined status, reviews), COMPUTED, not measured;`);
console.log('  ETag 304s would spare its rate-limit budget but not its request count.');
process.exitCode = over ? 1 : 0;
