import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DAEMON_NAMES } from "../../../ports/daemon-connection.js"
import * as Err from "./errors.js"

/** Which daemon, and whether it is a real one reached over gRPC or the in-memory stand-in. */
const Connection = {
  daemon: Schema.Literal(...DAEMON_NAMES),
  adapter: Schema.Literal("grpc", "simulated"),
  target: Schema.NullOr(Schema.String).annotations({ description: "host:port of a real daemon" })
}

const Sats = Schema.Number.annotations({ description: "satoshis" })

export const ArkdInfoView = Schema.Struct({
  ...Connection,
  info: Schema.Struct({
    signer_pubkey: Schema.String,
    network: Schema.String,
    version: Schema.String,
    dust: Sats,
    unilateral_exit_delay: Schema.Number
  })
})

export const LndBalancesView = Schema.Struct({
  ...Connection,
  wallet: Schema.Struct({ confirmed_sats: Sats, unconfirmed_sats: Sats }),
  channels: Schema.Struct({ local_sats: Sats, remote_sats: Sats, pending_open_local_sats: Sats }),
  total_sats: Sats.annotations({ description: "wallet (confirmed + unconfirmed) plus local channel balance" })
})

export const TapdBalancesView = Schema.Struct({
  ...Connection,
  assets: Schema.Array(Schema.Struct({
    asset_id: Schema.String,
    name: Schema.String,
    asset_type: Schema.Literal("NORMAL", "COLLECTIBLE"),
    genesis_point: Schema.String,
    balance: Schema.Union(Schema.Number, Schema.String).annotations({
      description: "asset units; a decimal string when above 2^53 − 1"
    })
  }))
})

export const ReconnectView = Schema.Struct({ ...Connection, reconnected: Schema.Literal(true) })

const Daemon = HttpApiSchema.param("daemon", Schema.Literal(...DAEMON_NAMES))

/** The daemons behind the ark module: what they report, and a fresh connection on demand. A daemon that cannot answer is a 503 naming it. */
export class GrpcApi extends HttpApiGroup.make("grpc")
  .add(HttpApiEndpoint.get("arkdInfo", "/grpc/arkd/info").addSuccess(ArkdInfoView))
  .add(HttpApiEndpoint.get("tapdBalances", "/grpc/tapd/balances").addSuccess(TapdBalancesView))
  .add(HttpApiEndpoint.get("lndBalances", "/grpc/lnd/balances").addSuccess(LndBalancesView))
  .add(
    HttpApiEndpoint.get("reconnect")`/grpc/reconnect/${Daemon}`
      .addSuccess(ReconnectView)
      .annotate(OpenApi.Description, "Closes the channel, re-reads the TLS certificate and macaroon, dials again and checks the daemon answers")
  )
  .addError(Err.ValidationErrorBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "gRPC daemons")
{}
