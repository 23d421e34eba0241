/** Token amounts stay strings end to end (they outgrow JS numbers); only digits are grouped. */
export const amount = (raw: string | null, denom: string | null) =>
  raw === null ? "unknown amount" : `${raw.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f")} ${denom ?? ""}`.trim()

/** 90 → "1m 30s", 200000 → "2d 7h". */
export const age = (seconds: number | null | undefined) => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—"
  const s = Math.max(0, Math.round(seconds))
  const d = Math.floor(s / 86_400)
  const hr = Math.floor((s % 86_400) / 3_600)
  const m = Math.floor((s % 3_600) / 60)
  if (d > 0) return `${d}d ${hr}h`
  if (hr > 0) return `${hr}h ${m}m`
  if (m > 0) return `${m}m ${s % 60}s`
  return `${s}s`
}

export const time = (iso: string | null | undefined) => {
  if (!iso) return "—"
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")
}

/** `pct` is already a percentage (0–100), as the API sends success rates. */
export const percent = (pct: number | null | undefined) => (pct === null || pct === undefined ? "—" : `${pct.toFixed(1)}%`)

export const short = (s: string, keep = 10) => (s.length <= keep * 2 + 1 ? s : `${s.slice(0, keep)}…${s.slice(-keep)}`)
