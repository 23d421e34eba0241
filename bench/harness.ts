import { cpus } from "node:os"

export interface Side {
  readonly label: string
  readonly value: number
  readonly unit: string
}

export interface Row {
  readonly id: number
  readonly name: string
  readonly ours: Side
  readonly baseline: Side
  /** ours / baseline, in the row's own sense (see `target`). */
  readonly ratio: number
  readonly target: { readonly op: ">=" | "<="; readonly value: number }
  readonly pass: boolean
  readonly note?: string
}

export const row = (r: Omit<Row, "ratio" | "pass">): Row => {
  const ratio = r.ours.value / r.baseline.value
  return { ...r, ratio, pass: r.target.op === ">=" ? ratio >= r.target.value : ratio <= r.target.value }
}

/**
 * Operations per second of `op`, run for about `ms` after a short warm-up.
 * Sides of a row are measured alternately (A B A B) by the rows themselves, so
 * a noisy neighbour slows both rather than one.
 */
export const opsPerSecond = (op: (i: number) => unknown, ms = 1_000): number => {
  const warm = performance.now() + Math.min(200, ms / 5)
  let i = 0
  while (performance.now() < warm) op(i++)
  const start = performance.now()
  let n = 0
  let now = start
  while (now - start < ms) {
    for (let k = 0; k < 16; k++) op(n++)
    now = performance.now()
  }
  return (n / (now - start)) * 1000
}

/** Alternates the two measurements `rounds` times and sums, so both see the same machine. */
export const alternate = (a: () => number, b: () => number, rounds = 2): readonly [number, number] => {
  let sa = 0
  let sb = 0
  for (let r = 0; r < rounds; r++) {
    sa += a()
    sb += b()
  }
  return [sa / rounds, sb / rounds]
}

export const machine = () => ({ cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version })

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2))

export const table = (rows: ReadonlyArray<Row>): string => {
  const lines = rows.map((r) =>
    [
      String(r.id),
      r.name,
      `${fmt(r.ours.value)} ${r.ours.unit} (${r.ours.label})`,
      `${fmt(r.baseline.value)} ${r.baseline.unit} (${r.baseline.label})`,
      `${r.ratio.toFixed(3)} ${r.target.op} ${r.target.value}`,
      r.pass ? "PASS" : "FAIL"
    ])
  const header = ["row", "what", "ours", "baseline", "ratio vs target", ""]
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const render = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n")
}
