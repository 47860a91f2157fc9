// Benchmark: `ao --help` cold start versus bare `node -e 0`, measured in the same run.
// Target: the difference (ao's own start-up cost) under 150 ms.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt, summarize, timeCommand } from './lib.mjs';

const bin = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
if (!existsSync(bin)) {
  console.error(`cli-startup: ${bin} is missing: run ./scripts/setup first`);
  process.exit(1);
}
const runs = Number(process.env.BENCH_RUNS ?? 30);
const node = summarize(timeCommand([process.execPath, '-e', '0'], { runs }));
const help = summarize(timeCommand([process.execPath, bin, '--help'], { runs }));
const version = summarize(timeCommand([process.execPath, bin, '--version'], { runs }));
const over = help.p50 - node.p50;
console.log(`cli-startup (${runs} runs each, median / p95)`);
console.log(`  node -e 0      ${fmt(node.p50)} / ${fmt(node.p95)}`);
console.log(`  ao --help      ${fmt(help.p50)} / ${fmt(help.p95)}`);
console.log(`  ao --version   ${fmt(version.p50)} / ${fmt(version.p95)}`);
console.log(`  ao --help over bare node: ${fmt(over)} (target < 150 ms) ${over < 150 ? 'OK' : 'OVER TARGET'}`);
process.exit(over < 150 ? 0 : 1);
