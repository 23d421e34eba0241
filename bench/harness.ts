import { cpus, loadavg } from "node:os"

export interface Side {
  readonly label: string
  readonly value: number
  readonly unit: string
}

export interface Target {
  readonly op: ">=" | "<="
  readonly value: number
}

export interface Row {
  readonly id: number
  readonly name: string
  readonly ours: Side
  readonly baseline: Side
  /** ours / baseline, in the row's own sense (see `target`). */
  readonly ratio: number
  /** Absent for rows the issue asks only to report (row 8). */
  readonly target?: Target
  readonly pass?: boolean
  readonly note?: string
}

export const row = (r: Omit<Row, "ratio" | "pass">): Row => {
  const ratio = r.ours.value / r.baseline.value
  return r.target === undefined
    ? { ...r, ratio }
    : { ...r, ratio, pass: r.target.op === ">=" ? ratio >= r.target.value : ratio <= r.target.value }
}

/** This process's user + system CPU time so far, µs. */
export const cpuMicros = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

/**
 * Operations per CPU second of `op` (this process's CPU time, not wall time:
 * on a shared machine a side descheduled for a while would otherwise read as
 * slow), run for about `ms` of wall time after a short warm-up. Sides of a row
 * are measured alternately (A B A B) by the rows themselves, so a noisy
 * neighbour slows both rather than one.
 */
export const opsPerSecond = (op: (i: number) => unknown, ms = 1_000): number => {
  const warm = performance.now() + Math.min(200, ms / 5)
  let i = 0
  while (performance.now() < warm) op(i++)
  const start = performance.now()
  const cpu0 = cpuMicros()
  let n = 0
  while (performance.now() - start < ms) {
    for (let k = 0; k < 16; k++) op(n++)
  }
  return (n / (cpuMicros() - cpu0)) * 1e6
}

/** Alternates the two measurements `rounds` times and averages, so both see the same machine. */
export const alternate = (a: () => number, b: () => number, rounds = 2): readonly [number, number] => {
  let sa = 0
  let sb = 0
  for (let r = 0; r < rounds; r++) {
    sa += a()
    sb += b()
  }
  return [sa / rounds, sb / rounds]
}

/** The same for asynchronous measurements. */
export const alternateAsync = async (a: () => Promise<number>, b: () => Promise<number>, rounds = 2): Promise<readonly [number, number]> => {
  let sa = 0
  let sb = 0
  for (let r = 0; r < rounds; r++) {
    sa += await a()
    sb += await b()
  }
  return [sa / rounds, sb / rounds]
}

/** The q-quantile (0..1) of some numbers, nearest rank. */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

/** The machine is shared: the load average at the start says how much of it the run had. */
export const machine = () => ({
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  node: process.version,
  loadavg_at_start: loadavg().map((l) => Math.round(l * 100) / 100)
})

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n >= 1 ? n.toFixed(2) : n.toPrecision(3))

export const table = (rows: ReadonlyArray<Row>): string => {
  const lines = rows.map((r) =>
    [
      String(r.id),
      r.name,
      `${fmt(r.ours.value)} ${r.ours.unit} (${r.ours.label})`,
      `${fmt(r.baseline.value)} ${r.baseline.unit} (${r.baseline.label})`,
      r.target === undefined ? r.ratio.toFixed(3) : `${r.ratio.toFixed(3)} ${r.target.op} ${r.target.value}`,
      r.pass === undefined ? "REPORT" : r.pass ? "PASS" : "FAIL"
    ])
  const header = ["row", "what", "ours", "baseline", "ratio vs target", ""]
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const render = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n")
}
