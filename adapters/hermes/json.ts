/** Shared reading of Hermes' JSON answers (REST envelope and CLI `--json` output). */

export type Envelope = { readonly status: "success"; readonly result: unknown } | { readonly status: "error"; readonly result: unknown }

/** `{"status": "success" | "error", "result": …}`, as both the REST API and `--json` print it. */
export const envelope = (v: unknown): Envelope | undefined => {
  if (typeof v !== "object" || v === null || !("status" in v)) return undefined
  const status = (v as { status: unknown }).status
  const result = (v as { result?: unknown }).result
  return status === "success" || status === "error" ? { status, result } : undefined
}

const HASH = /^(?:0x)?([0-9a-fA-F]{64})$/

/** Every tx hash found under a `tx_hash` / `hash` key anywhere in Hermes' result, upper-case, once each. */
export const txHashes = (v: unknown): ReadonlyArray<string> => {
  const found = new Set<string>()
  const walk = (x: unknown, key: string | undefined) => {
    if (typeof x === "string") {
      const m = HASH.exec(x)
      if (m !== null && (key === "tx_hash" || key === "hash")) found.add(m[1]!.toUpperCase())
    } else if (Array.isArray(x)) {
      for (const item of x) walk(item, key)
    } else if (typeof x === "object" && x !== null) {
      for (const [k, item] of Object.entries(x)) walk(item, k)
    }
  }
  walk(v, undefined)
  return Array.from(found)
}

export const describe = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v) ?? "no details")
