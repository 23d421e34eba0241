import { getPublicKey } from "nostr-tools/pure"
import { Effect, Layer, Option, Redacted } from "effect"
import { hexToBytes } from "../../core/shared/hex.js"
import * as NostrRelays from "../../adapters/nostr/bus.js"
import { Metrics } from "../../ports/metrics.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import { NostrConfig } from "../config.js"
import * as NostrWorkerController from "./controller.js"

/**
 * The Nostr worker (NOSTR_RELAYS + NOSTR_PRIVATE_KEY) on the ark signing
 * services it is given; started at once when configured. Unconfigured, it is
 * a worker that reports so and cannot be started. Its relays' dropped events
 * are the relaygate_nostr_events_dropped gauge, in `serve` and `worker` alike.
 */
export const NostrWorkerLive = Layer.scoped(
  NostrWorkerController.NostrWorker,
  Effect.gen(function*() {
    const config = yield* NostrConfig
    const verifier = yield* SchnorrVerifier
    const setup = Option.map(config, ({ privateKey, relays }) => {
      const key = hexToBytes(Redacted.value(privateKey))
      return {
        pubkey: getPublicKey(key),
        bus: NostrRelays.layer({ relays, privateKey: key }).pipe(Layer.provide(Layer.succeed(SchnorrVerifier, verifier)))
      }
    })
    const worker = yield* NostrWorkerController.make(setup)
    const metrics = yield* Metrics
    yield* metrics.gauge(
      "relaygate_nostr_events_dropped",
      Effect.map(worker.status(), (s) =>
        s.relays.flatMap((r) => Object.entries(r.dropped).map(([reason, value]) => ({ labels: { relay: r.url, reason }, value }))))
    )
    if (Option.isSome(setup)) {
      // Configured, so start cannot answer NostrNotConfigured.
      const started = yield* Effect.orDie(worker.start())
      yield* Effect.logInfo("nostr worker started").pipe(Effect.annotateLogs({
        pubkey: started.pubkey ?? "",
        relays_connected: `${started.relays.filter((r) => r.status === "connected").length}/${started.relays.length}`
      }))
    }
    return worker
  })
)
