import { ConfigProvider, Context, Effect, Layer, Option } from "effect"
import { generateSecretKey } from "nostr-tools/pure"
import { ServicesLive } from "../../apps/app.js"
import { NostrWorker } from "../../apps/worker/controller.js"
import { LedgerService } from "../../core/ledger/service.js"
import { bytesToHex } from "../../core/shared/hex.js"
import { IN_PROCESS_DEFAULTS } from "./http-app.js"

/**
 * The bundled app's services (the same layer `npm start` runs, minus the HTTP
 * listener) with the Nostr worker in-process, on the real clock, configured
 * only by `env` plus NOSTR_RELAYS and a fresh NOSTR_PRIVATE_KEY.
 */
export const startGateway = (relays: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const sk = generateSecretKey()
    const context = yield* Layer.build(ServicesLive).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({
        NOSTR_RELAYS: relays.join(","),
        NOSTR_PRIVATE_KEY: bytesToHex(sk),
        VERIFY_THREADS: IN_PROCESS_DEFAULTS.VERIFY_THREADS,
        ...env
      }))))
    )
    const worker = Context.get(context, NostrWorker)
    return { context, nostrPubkey: worker.pubkey!, worker }
  })

/**
 * Gives `user` a BTC balance when the app books transfers on the ledger (the
 * ceremony then needs a funded sender); a no-op where it does not.
 */
export const fund = (context: Context.Context<never>, user: string, sats: bigint) =>
  Option.match(Context.getOption(context, LedgerService), {
    onNone: () => Effect.void,
    onSome: (ledger) => ledger.mint({ asset_id: "BTC", user_pubkey: user, amount: sats }).pipe(Effect.asVoid)
  })
