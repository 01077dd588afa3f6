/** Resident memory and CPU time of a process and all its descendants, read from /proc (Linux only). */
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = 100;

function children(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (list) found.push(...list.split(/\s+/).map(Number));
    } catch {
      // the task ended meanwhile
    }
  }
  return found;
}

export function processTree(root: number): number[] {
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i] as number));
  return all;
}

/** Resident set size of the whole tree, in bytes. */
export function treeRss(root: number): number {
  let kib = 0;
  for (const pid of processTree(root)) {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return kib * 1024;
}

/** User plus system CPU time of the whole tree, in seconds. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // ended meanwhile
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** This process's own CPU time (the load generator), in seconds. */
export function selfCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
