import { readFileSync } from 'node:fs';

/**
 * What names one process on this machine. A pid alone is reused once its process is gone; the pid
 * and the process's start time together name one process for as long as the machine runs. Read from
 * Linux /proc: undefined elsewhere, and once the process is gone.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Its process group; an agent ccasp starts leads its own (it is spawned detached). */
  readonly pgid: number;
  /** When it started: clock ticks since boot (field 22 of /proc/<pid>/stat). */
  readonly processStart: number;
  /** The (real) user it runs as. */
  readonly uid: number;
}

interface ProcStat {
  /** R, S, D, Z, T…: field 3 of /proc/<pid>/stat. */
  readonly state: string;
  readonly pgid: number;
  readonly processStart: number;
}

/** /proc/<pid>/stat's fields that ccasp uses, or undefined when it cannot be read. */
export function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so the fields are read
  // after the last ')'. There, field n of the manual page is at index n - 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgid = Number(fields[2]);
  const processStart = Number(fields[19]);
  if (!fields[0] || !Number.isSafeInteger(pgid) || !Number.isSafeInteger(processStart)) return undefined;
  return { state: fields[0], pgid, processStart };
}

/** The start time of process `pid` (see ProcessIdentity), or undefined when it cannot be told. */
export function processStartOf(pid: number): number | undefined {
  return procStat(pid)?.processStart;
}

export function processIdentity(pid: number): ProcessIdentity | undefined {
  const stat = procStat(pid);
  if (!stat) return undefined;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  // "Uid:	<real>	<effective>	<saved>	<filesystem>"
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  if (!Number.isSafeInteger(uid)) return undefined;
  return { pid, pgid: stat.pgid, processStart: stat.processStart, uid };
}

/** A process ccasp just started: its identity where /proc tells it, else its pid alone. */
export type StartedProcess = Pick<ProcessIdentity, 'pid'> & Partial<ProcessIdentity>;

export function startedProcess(pid: number): StartedProcess {
  return processIdentity(pid) ?? { pid };
}
