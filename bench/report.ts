/**
 * The bench's results: one record (written as JSON) and the table printed from it. The
 * ratios and goal verdicts are computed here, once, so the table and the file agree.
 */
import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import type { CommitLoop } from './baselines.ts';
import type { GatewayIntakeRun, ServerLoadRun } from './intake.ts';
import type { RiskCost } from './riskCost.ts';
import { describeStalls, type StallBaseline } from './stalls.ts';
import { round } from './stats.ts';
import type { WebSocketResult } from './websocketLatency.ts';


export const GOALS = { intakeShareOfBareAt64: 0.5, fillToWebSocketP99Ms: 5 } as const;

export interface Results {
  readonly date: string;
  readonly store: 'sqlite' | 'postgres';
  readonly machine: Record<string, string | number>;
  readonly source: Record<string, string | string[]>;
  readonly storeSettings: Record<string, string>;
  readonly options: Record<string, unknown>;
  gatewayIntake?: GatewayIntakeRun[];
  bareIntake?: ServerLoadRun[];
  commitLoops?: CommitLoop[];
  websocket?: WebSocketResult;
  /** Measured just before the WebSocket phase, with no gateway running. */
  stalls?: StallBaseline;
  riskCost?: RiskCost;
}

export function machineFacts(dataDir: string): Record<string, string | number> {
  let filesystem = 'unknown';
  try {
    filesystem = execFileSync('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', dataDir], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
  } catch {
    // findmnt is not everywhere; the file system is a nice-to-have fact.
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    kernel: release(),
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    dataDirFilesystem: filesystem,
  };
}

/** Which code was measured: the commit, and the files changed on top of it. */
export function sourceFacts(root: string): Record<string, string | string[]> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      changedFiles: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).map((line) => line.slice(3)),
    };
  } catch {
    return { commit: 'unknown (not a git checkout)' };
  }
}

const gatewayAt = (results: Results, connections: number) => results.gatewayIntake?.find((run) => run.connections === connections);

/** Derived figures: gateway/bare per connection count, gateway ÷ commit loop, goal verdicts. */
export function derived(results: Results) {
  const shareOfBare = (results.gatewayIntake ?? []).flatMap((gateway) => {
    const bare = results.bareIntake?.find((run) => run.connections === gateway.connections);
    return bare ? [{ connections: gateway.connections, share: round(gateway.perSecond / bare.perSecond, 4) }] : [];
  });
  const sequential = results.commitLoops?.find((loop) => loop.clients === 1);
  const overCommitLoop = (results.gatewayIntake ?? []).map((gateway) => {
    const sameClients = results.commitLoops?.find((loop) => loop.clients === gateway.connections);
    return {
      connections: gateway.connections,
      ofSequentialLoop: sequential ? round(gateway.perSecond / sequential.perSecond, 2) : null,
      ofLoopWithSameClients: sameClients ? round(gateway.perSecond / sameClients.perSecond, 2) : null,
    };
  });
  const at64 = shareOfBare.find((entry) => entry.connections === 64)?.share ?? null;
  const p99 = results.websocket?.fromExecutionMs.p99 ?? null;
  return {
    shareOfBare,
    overCommitLoop,
    goals: {
      intakeShareOfBareAt64: { goal: GOALS.intakeShareOfBareAt64, actual: at64, met: at64 === null ? null : at64 >= GOALS.intakeShareOfBareAt64 },
      fillToWebSocketP99Ms: { goal: GOALS.fillToWebSocketP99Ms, actual: p99, met: p99 === null ? null : p99 <= GOALS.fillToWebSocketP99Ms },
    },
  };
}

/** Every float rounded for the file; integers and strings untouched. */
export function forFile(results: Results): unknown {
  const rounded = JSON.parse(JSON.stringify(results), (_key, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? round(value) : value);
  return { ...rounded, derived: derived(results) };
}

const num = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (value: number) => num(value, 2);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' │ ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...rows.map(line)].map((text) => `  ${text}`).join('\n');
}

const maxNoise = (results: Results) => (results.options['noise'] as { maxOthersPercent: number } | undefined)?.maxOthersPercent ?? 15;

/** The measurements during which other programs used more CPU than the noise policy allows. */
function disturbed(results: Results): string[] {
  const limit = maxNoise(results);
  const over = (others: number | undefined) => others !== undefined && others > limit;
  const at = (others: number) => `${num(others)} %`;
  return [
    ...(results.gatewayIntake ?? []).filter((run) => over(run.otherCpuPercent)).map((run) => `gateway at ${run.connections} conn (${at(run.otherCpuPercent)})`),
    ...(results.bareIntake ?? []).filter((run) => over(run.otherCpuPercent)).map((run) => `bare at ${run.connections} conn (${at(run.otherCpuPercent)})`),
    ...(results.commitLoops ?? []).filter((loop) => over(loop.otherCpuPercent)).map((loop) => `commit loop ${loop.clients} client(s) (${at(loop.otherCpuPercent!)})`),
    ...(results.websocket && over(results.websocket.otherCpuPercent) ? [`fill samples (${at(results.websocket.otherCpuPercent)})`] : []),
    ...(results.riskCost?.runs ?? []).filter((r) => over(r.otherCpuPercent)).map((r) => `risk ${r.risk ? 'on' : 'off'} (${at(r.otherCpuPercent)})`),
  ];
}

export function renderTable(results: Results): string {
  const d = derived(results);
  const m = results.machine;
  const changed = ((results.source['changedFiles'] ?? []) as string[]).length;
  const postgres = results.store === 'postgres';
  const out: string[] = [
    '',
    `ordergate bench · store ${results.store} · ${results.date}`,
    `${m['cpuModel']} · ${m['cores']} cores · node ${m['node']} · data on ${m['dataDirFilesystem']}`,
    `store: ${Object.entries(results.storeSettings).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `source: commit ${results.source['commit']}${changed > 0 ? ` + ${changed} uncommitted file(s) in src/ (listed in the JSON)` : ''}`,
  ];
  const o = results.options;
  if (results.gatewayIntake) {
    out.push('', `Durable intake: POST /api/v1/orders → 201 after commit (${o['duration']} s per run after ${o['warmup']} s warm-up, ${o['traders']} traders round-robin)`);
    out.push(table(['conn', 'gateway orders/s', 'p50 ms', 'p99 ms', 'non-2xx', 'bare req/s', 'p50 ms', 'p99 ms', 'gateway/bare'],
      results.gatewayIntake.map((g) => {
        const bare = results.bareIntake?.find((run) => run.connections === g.connections);
        const share = d.shareOfBare.find((entry) => entry.connections === g.connections)?.share;
        return [String(g.connections), num(g.perSecond), ms(g.latencyMs.p50), ms(g.latencyMs.p99), '0',
          bare ? num(bare.perSecond) : '–', bare ? ms(bare.latencyMs.p50) : '–', bare ? ms(bare.latencyMs.p99) : '–',
          share === undefined ? '–' : `${num(share * 100, 1)} %`];
      })));
    out.push('', '  where the gateway\'s time went (100 % CPU = one core; the machine has ' + m['cores'] + ')');
    const perRequest = (run: ServerLoadRun) => `${num((10_000 * (run.serverCpuPercent + run.databaseCpuPercent)) / run.perSecond)} µs`;
    const percent = (value: number) => `${num(value)} %`;
    out.push(table(['conn', 'gateway CPU', ...(postgres ? ['postgres CPU'] : []), 'CPU/order', 'bare CPU', 'CPU/req', 'autocannon', 'other programs',
      'commits/s', 'changes/commit', 'ms/commit', 'in commit'],
    results.gatewayIntake.map((g) => {
      const bare = results.bareIntake?.find((run) => run.connections === g.connections);
      return [String(g.connections), percent(g.serverCpuPercent), ...(postgres ? [percent(g.databaseCpuPercent)] : []), perRequest(g),
        bare ? percent(bare.serverCpuPercent) : '–', bare ? perRequest(bare) : '–', percent(g.loadGeneratorCpuPercent), percent(g.otherCpuPercent),
        num(g.commits.transactions / g.seconds), num(g.commits.meanBatchSize, 1), ms(g.commits.meanTransactionMs), percent(g.commits.shareOfWallTime * 100)];
    })));
    out.push(`  CPU/order counts the gateway${postgres ? ' and PostgreSQL' : ''}; "in commit" is the share of wall time spent inside store.commit()`);
    const goal = d.goals.intakeShareOfBareAt64;
    if (goal.actual !== null) out.push(`  goal gateway/bare ≥ ${goal.goal * 100} % at 64 connections: ${goal.met ? 'met' : 'NOT met'} (${num(goal.actual * 100, 1)} %)`);
  }
  if (results.commitLoops) {
    const kind = results.store === 'sqlite' ? 'BEGIN IMMEDIATE; INSERT; COMMIT (WAL, synchronous=FULL)' : 'autocommit INSERT';
    out.push('', `Raw commit loop: one single-row ${kind}, ${o['commitSeconds']} s`);
    const cpu = (value: number | undefined) => (value === undefined ? '–' : `${num(value)} %`);
    out.push(table(['clients', 'commits/s', 'p50 ms', 'p99 ms', 'bench CPU', ...(postgres ? ['postgres CPU'] : []), 'gateway orders/s at same conn ÷ this'],
      results.commitLoops.map((loop) => {
        const gateway = gatewayAt(results, loop.clients);
        return [String(loop.clients), num(loop.perSecond), ms(loop.commitLatencyMs.p50), ms(loop.commitLatencyMs.p99),
          cpu(loop.benchCpuPercent), ...(postgres ? [cpu(loop.databaseCpuPercent)] : []),
          gateway ? `${num(gateway.perSecond / loop.perSecond, 2)}×` : '–'];
      })));
    const multiples = d.overCommitLoop.filter((entry) => entry.ofSequentialLoop !== null);
    if (multiples.length > 0) {
      out.push(`  gateway ÷ 1-client loop: ${multiples.map((entry) => `${entry.connections} conn ${num(entry.ofSequentialLoop!, 2)}×`).join(', ')}`);
    }
  }
  const ws = results.websocket;
  if (ws) {
    out.push('', `Fill → WebSocket order.filled: ${ws.subscribers} subscribers (${ws.traders} traders), ${ws.samples} paced samples after ${num(ws.warmupSeconds)} s of warm-up`);
    out.push(table(['measured from', 'p50 ms', 'p99 ms', 'max ms'], [
      ['(a) execution timestamp (ms resolution)', ms(ws.fromExecutionMs.p50), ms(ws.fromExecutionMs.p99), ms(ws.fromExecutionMs.max)],
      ['(b) simulate_fill request sent', ms(ws.fromRequestMs.p50), ms(ws.fromRequestMs.p99), ms(ws.fromRequestMs.max)],
      ['    … to the trader\'s last socket', ms(ws.lastSubscriberFromRequestMs.p50), ms(ws.lastSubscriberFromRequestMs.p99), ms(ws.lastSubscriberFromRequestMs.max)],
      [`(a) during the warm-up (${ws.coldFromExecutionMs.count} samples)`, ms(ws.coldFromExecutionMs.p50), ms(ws.coldFromExecutionMs.p99), ms(ws.coldFromExecutionMs.max)],
    ]));
    const goal = d.goals.fillToWebSocketP99Ms;
    out.push(`  goal p99 ≤ ${goal.goal} ms: ${goal.met ? 'met' : 'NOT met'}; during the samples the gateway used ${num(ws.gatewayCpuPercent)} % CPU` +
      `${postgres ? `, PostgreSQL ${num(ws.databaseCpuPercent)} %` : ''}, other programs ${num(ws.otherCpuPercent)} %`);
    if (results.stalls) out.push(`  baseline: ${describeStalls(results.stalls)}`);
    out.push(`  gateway RSS ${num(ws.rssKiBBefore / 1024, 1)} MiB → ${num(ws.rssKiBAfter / 1024, 1)} MiB with ${ws.subscribers} sockets open (${num(ws.rssKiBPerSubscriber, 1)} KiB each; opened in ${num(ws.openSeconds, 2)} s)`);
  }
  const risk = results.riskCost;
  if (risk) {
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${num(100 * x, 1)} %`;
    out.push('', `Pre-trade risk, in process (SubmitOrder → commit → sim → ack commit, ${risk.concurrency} in flight, SQLite file):`);
    out.push(table(['risk checks', 'orders/s', 'µs CPU/order', 'other programs'],
      risk.runs.map((r) => [r.risk ? 'on' : 'off', num(r.perSecond), num(r.cpuMicrosPerOrder), `${num(r.otherCpuPercent)} %`])));
    out.push(`  with every check on: throughput ${pct(risk.throughputChange)}, CPU per order ${pct(risk.cpuPerOrderChange)} (best run of each; goal: a drop of at most 10 %)`);
  }
  if (results.gatewayIntake) {
    out.push('', `  gateway RSS after each intake run: ${results.gatewayIntake.map((g) => `${g.connections} conn ${num(g.rssKiBAfter / 1024, 0)} MiB`).join(', ')}; ` +
      `orders stored ≥ 201s received: ${results.gatewayIntake.map((g) => num(g.storedOrders)).join(', ')}`);
  }
  const noisy = disturbed(results);
  if (noisy.length > 0) {
    out.push('', `WARNING: other programs on this machine used more than ${maxNoise(results)} % CPU (of one core) during: ${noisy.join('; ')}.`,
      '         Those figures understate what the gateway and the baselines can do; run again on a quiet machine.');
  }
  return out.join('\n');
}
