import { Duration, Effect, Layer, Option } from "effect"
import { ChainpulseMetrics } from "../../ports/chainpulse-metrics.js"
import { Hermes } from "../../ports/hermes.js"
import { ClearingEnvConfig } from "../config.js"
import { type Check, ReadinessChecks } from "../http/readiness.js"
import { NostrWorker } from "../worker/controller.js"

const off = (name: string): Check => ({ name, adapter: "off", probe: Effect.void })

/** CometBFT's /status over HTTP; a ws(s):// RPC URL is the same server. */
const cometStatus = (url: string) =>
  Effect.tryPromise({
    try: async (signal) => {
      const base = url.replace(/^ws(s?):/, "http$1:").replace(/\/websocket\/?$/, "").replace(/\/$/, "")
      const res = await fetch(`${base}/status`, { signal })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const body = await res.json() as { result?: { sync_info?: { latest_block_height?: string } } }
      if (body.result?.sync_info?.latest_block_height === undefined) throw new Error("no sync_info in /status")
    },
    catch: (e) => ({ message: `CometBFT: ${e instanceof Error ? e.message : String(e)}` })
  }).pipe(Effect.timeoutFail({ duration: Duration.seconds(2), onTimeout: () => ({ message: "CometBFT: no answer within 2 s" }) }))

/**
 * /ready beyond stores and daemons: the Nostr relays (when the worker runs
 * in-process), Chainpulse, Hermes and each CometBFT RPC. Unconfigured ones
 * are listed as `off` (ok): they are optional, and the modules answer
 * without them as documented.
 */
export const ModuleReadinessLive = Layer.effect(
  ReadinessChecks,
  Effect.gen(function*() {
    const base = yield* ReadinessChecks
    const worker = yield* NostrWorker
    const hermes = yield* Hermes
    const chainpulse = yield* ChainpulseMetrics
    const env = yield* ClearingEnvConfig
    const nostr: Check = (yield* worker.status()).configured
      ? {
        name: "nostr_relays",
        adapter: "relays",
        probe: Effect.flatMap(worker.status(), (s) => {
          const up = s.relays.filter((r) => r.status === "connected").length
          return up > 0 || s.relays.length === 0
            ? Effect.void
            : Effect.fail({ message: `no relay connected (${s.relays.map((r) => `${r.url}: ${r.last_error ?? r.status}`).join("; ")})` })
        })
      }
      : off("nostr_relays")
    const chainpulseCheck: Check = Option.isSome(env.chainpulseUrl)
      ? { name: "chainpulse", adapter: "http", probe: chainpulse.scrape().pipe(Effect.mapError((e) => ({ message: `Chainpulse: ${e.reason}` }))) }
      : off("chainpulse")
    const hermesCheck: Check = hermes.executor === null
      ? off("hermes")
      : { name: "hermes", adapter: hermes.executor, probe: hermes.version().pipe(Effect.mapError((e) => ({ message: `Hermes: ${e.reason}` }))) }
    const comet = Array.from(env.cometbft, ([chain, url]): Check => ({ name: `cometbft:${chain}`, adapter: "rpc", probe: cometStatus(url) }))
    return [...base, nostr, chainpulseCheck, hermesCheck, ...(comet.length === 0 ? [off("cometbft")] : comet)]
  })
)
