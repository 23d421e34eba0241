import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArkServer } from "../../../ports/ark-server.js"
import { ArkdConnection, type DaemonConnection, type DaemonName, LndConnection, TapdConnection } from "../../../ports/daemon-connection.js"
import { Lightning } from "../../../ports/lightning.js"
import { TaprootAssets } from "../../../ports/taproot-assets.js"
import { RelaygateApi } from "../api.js"
import { ArkServiceUnavailable } from "./errors.js"

const connectionView = (c: DaemonConnection) => ({ daemon: c.daemon, adapter: c.adapter, target: c.target ?? null })

/** Whatever keeps a daemon from answering becomes the ark 503 naming the daemon and the reason. */
const unavailable = (daemon: DaemonName) => (e: { readonly reason: string }) => new ArkServiceUnavailable({ dependency: daemon, reason: e.reason })

/** Sats are below 2.1e15, so exact as JSON numbers; asset units are not bounded, hence the string fallback. */
const units = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString())

export const GrpcLive = HttpApiBuilder.group(RelaygateApi, "grpc", (handlers) =>
  Effect.gen(function*() {
    const ark = yield* ArkServer
    const lightning = yield* Lightning
    const taprootAssets = yield* TaprootAssets
    const connections: Readonly<Record<DaemonName, DaemonConnection>> = {
      arkd: yield* ArkdConnection,
      lnd: yield* LndConnection,
      tapd: yield* TapdConnection
    }
    return handlers
      .handle("arkdInfo", () =>
        ark.getInfo().pipe(
          Effect.map((i) => ({
            ...connectionView(connections.arkd),
            info: {
              signer_pubkey: i.signerPubkey,
              network: i.network,
              version: i.version,
              dust: Number(i.dust),
              unilateral_exit_delay: Number(i.unilateralExitDelay)
            }
          })),
          Effect.mapError(unavailable("arkd"))
        ))
      .handle("lndBalances", () =>
        Effect.all([lightning.walletBalance(), lightning.channelBalance()], { concurrency: "unbounded" }).pipe(
          Effect.map(([wallet, channels]) => ({
            ...connectionView(connections.lnd),
            wallet: { confirmed_sats: Number(wallet.confirmedSats), unconfirmed_sats: Number(wallet.unconfirmedSats) },
            channels: {
              local_sats: Number(channels.localSats),
              remote_sats: Number(channels.remoteSats),
              pending_open_local_sats: Number(channels.pendingOpenLocalSats)
            },
            total_sats: Number(wallet.confirmedSats + wallet.unconfirmedSats + channels.localSats)
          })),
          Effect.mapError(unavailable("lnd"))
        ))
      .handle("tapdBalances", () =>
        taprootAssets.listBalances().pipe(
          Effect.map((assets) => ({
            ...connectionView(connections.tapd),
            assets: assets.map((a) => ({
              asset_id: a.assetId,
              name: a.name,
              asset_type: a.assetType,
              genesis_point: a.genesisPoint,
              balance: units(a.balance)
            }))
          })),
          Effect.mapError(unavailable("tapd"))
        ))
      .handle("reconnect", ({ path }) => {
        const c = connections[path.daemon]
        return c.reconnect().pipe(
          Effect.as({ ...connectionView(c), reconnected: true as const }),
          Effect.mapError(unavailable(path.daemon))
        )
      })
  }))
