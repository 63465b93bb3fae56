/**
 * CPU accounting for the bench, from /proc: who used the machine's cores while a measurement
 * ran. A run on a machine where other programs were busy measures those programs as much as
 * the gateway, so every measurement says how much CPU went elsewhere, and measureQuietly()
 * waits for a quiet moment and measures again (a few times at most) when too much did.
 * Percentages are of one core: 100 % is one core fully busy.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuUse {
  /** The process under test and its children. */
  readonly server: number;
  /** The bench process itself (autocannon, WebSocket clients, the commit loop). */
  readonly self: number;
  /** PostgreSQL's processes: part of the system under test when it is the store. */
  readonly database: number;
  /** The kernel's own work (interrupts, network softirqs, I/O threads), mostly on behalf of the above. */
  readonly kernel: number;
  /** Every other program, and time the hypervisor stole for other machines: noise. */
  readonly others: number;
}

export interface NoisePolicy {
  /** Other programs may use this much CPU during a measurement before it is taken again. */
  readonly maxOthersPercent: number;
  readonly attempts: number;
  /** How long to wait, before each attempt, for other programs to quieten down. */
  readonly quietWaitSeconds: number;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Task {
  readonly ppid: number;
  readonly command: string;
  readonly cpuSeconds: number;
}

function tasks(): Map<number, Task> {
  const all = new Map<number, Task>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it exited while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    all.set(Number(entry), {
      ppid: Number(fields[1]),
      command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    });
  }
  return all;
}

/**
 * From /proc/stat: all busy time (steal included: the hypervisor gave our cores to other
 * machines), and the interrupt and softirq time within it, which no process is charged for.
 */
function machineSeconds(): { busy: number; interrupts: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICKS_PER_SECOND, interrupts: (irq! + softirq!) / TICKS_PER_SECOND };
}

/** Kernel threads descend from kthreadd (pid 2). */
const isKernelThread = (all: Map<number, Task>, pid: number) => pid === 2 || all.get(pid)?.ppid === 2;

function descendsFrom(all: Map<number, Task>, pid: number, root: number): boolean {
  for (let current: number | undefined = pid, hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
    if (current === root) return true;
    current = all.get(current)?.ppid;
  }
  return false;
}

/** CPU used while `work` ran, split between the server (`pid`, if any), the bench, PostgreSQL and the rest. */
export async function cpuDuring<T>(pid: number | null, work: () => Promise<T>): Promise<{ result: T } & CpuUse> {
  const started = performance.now();
  const before = tasks();
  const machineBefore = machineSeconds();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const machineAfter = machineSeconds();
  const after = tasks();
  let server = 0;
  let self = 0;
  let database = 0;
  let kernel = machineAfter.interrupts - machineBefore.interrupts;
  for (const [id, task] of after) {
    const used = task.cpuSeconds - (before.get(id)?.cpuSeconds ?? 0);
    if (used <= 0) continue;
    if (pid !== null && descendsFrom(after, id, pid)) server += used;
    else if (descendsFrom(after, id, process.pid)) self += used;
    else if (task.command === 'postgres') database += used;
    else if (isKernelThread(after, id)) kernel += used;
  }
  // The rest of the busy time: other programs, including those that came and went meanwhile, and steal.
  const others = Math.max(0, machineAfter.busy - machineBefore.busy - server - self - database - kernel);
  const percent = (cpu: number) => (100 * cpu) / seconds;
  return { result, server: percent(server), self: percent(self), database: percent(database), kernel: percent(kernel), others: percent(others) };
}

/** Waits (at most `seconds`) for a second in which other programs use less than `percent` CPU. */
async function waitForQuiet(seconds: number, percent: number): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const { others } = await cpuDuring(null, () => new Promise((resolve) => setTimeout(resolve, 1000)));
    if (others < percent) return;
  }
}

/**
 * Measures `work`, again if other programs used more CPU than the policy allows meanwhile.
 * Returns the least disturbed attempt, with how many attempts it took.
 */
export async function measureQuietly<T>(
  policy: NoisePolicy,
  pid: number | null,
  label: string,
  log: (line: string) => void,
  work: () => Promise<T>,
): Promise<{ result: T; attempts: number } & CpuUse> {
  let best: ({ result: T } & CpuUse) | null = null;
  let attempts = 0;
  while (attempts < Math.max(1, policy.attempts)) {
    attempts += 1;
    if (policy.quietWaitSeconds > 0) await waitForQuiet(policy.quietWaitSeconds, policy.maxOthersPercent / 2);
    const measured = await cpuDuring(pid, work);
    if (best === null || measured.others < best.others) best = measured;
    if (measured.others <= policy.maxOthersPercent) break;
    log(`    (${label}: other programs used ${measured.others.toFixed(0)} % CPU meanwhile${attempts < policy.attempts ? '; measuring again' : ''})`);
  }
  return { ...best!, attempts };
}
