import { bytesToHex } from "@noble/hashes/utils.js"
import { Context, Effect, Layer, Ref } from "effect"
import { sha256Bytes } from "../../core/shared/hash.js"
import { randomHex } from "../../core/shared/random.js"
import { type TapAssetBalance, TaprootAssets, TaprootAssetsUnavailable } from "../../ports/taproot-assets.js"

/** Test and demo controls of the simulated tapd; not part of the TaprootAssets port. */
export class TaprootAssetsSimulator extends Context.Tag("relaygate/TaprootAssetsSimulator")<
  TaprootAssetsSimulator,
  {
    /** Mints `amount` more of the named asset into the daemon's wallet (a new asset on first use of the name). */
    readonly mint: (name: string, amount: bigint, assetType?: "NORMAL" | "COLLECTIBLE") => Effect.Effect<TapAssetBalance>
    /** false: every call fails with TaprootAssetsUnavailable until set back. */
    readonly setAvailable: (up: boolean) => Effect.Effect<void>
  }
>() {}

export const make = (options: { readonly network?: string } = {}) =>
  Effect.gen(function*() {
    const up = yield* Ref.make(true)
    const assets = yield* Ref.make<ReadonlyMap<string, TapAssetBalance>>(new Map())
    const reachable = Effect.flatMap(Ref.get(up), (u) =>
      u ? Effect.void : Effect.fail(new TaprootAssetsUnavailable({ reason: "simulated tapd is down" })))

    const tapd = TaprootAssets.of({
      getInfo: Effect.fn("TaprootAssets.getInfo")(function*() {
        yield* reachable
        return { version: "relaygate-simulated-tapd", network: options.network ?? "regtest" }
      }),
      listBalances: Effect.fn("TaprootAssets.listBalances")(function*() {
        yield* reachable
        return Array.from((yield* Ref.get(assets)).values()).filter((a) => a.balance > 0n)
      })
    })

    const simulator = TaprootAssetsSimulator.of({
      mint: Effect.fn("TaprootAssetsSimulator.mint")(function*(name: string, amount: bigint, assetType = "NORMAL") {
        const genesisPoint = `${yield* randomHex(32)}:0`
        return yield* Ref.modify(assets, (m) => {
          const existing = m.get(name)
          // Like tapd, the asset id commits to the genesis; re-minting the name adds to that asset here.
          const next: TapAssetBalance = existing === undefined
            ? { assetId: bytesToHex(sha256Bytes(`${genesisPoint}/${name}`)), name, assetType, genesisPoint, balance: amount }
            : { ...existing, balance: existing.balance + amount }
          return [next, new Map(m).set(name, next)]
        })
      }),
      setAvailable: Effect.fn("TaprootAssetsSimulator.setAvailable")(function*(u: boolean) {
        yield* Ref.set(up, u)
      })
    })
    return { tapd, simulator }
  })

/** tapd simulated in memory, plus its controls. */
export const layer = (options: { readonly network?: string } = {}): Layer.Layer<TaprootAssets | TaprootAssetsSimulator> =>
  Layer.effectContext(
    Effect.map(make(options), ({ simulator, tapd }) => Context.make(TaprootAssets, tapd).pipe(Context.add(TaprootAssetsSimulator, simulator)))
  )
