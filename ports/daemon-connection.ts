import { Context, Data, type Effect } from "effect"

export const DAEMON_NAMES = ["arkd", "lnd", "tapd"] as const
export type DaemonName = (typeof DAEMON_NAMES)[number]

/** The daemon could not be dialled or did not answer its GetInfo. */
export class DaemonUnreachable extends Data.TaggedError("DaemonUnreachable")<{
  readonly daemon: DaemonName
  readonly reason: string
  readonly cause?: unknown
}> {}

/** How the gateway reaches one daemon, for readiness and the /grpc operator routes. */
export interface DaemonConnection {
  readonly daemon: DaemonName
  /** `grpc`: a real daemon at `target`; `simulated`: the in-memory stand-in. */
  readonly adapter: "grpc" | "simulated"
  /** host:port of a real daemon. */
  readonly target: string | undefined
  /** Closes the channel, re-reads the TLS certificate and macaroon, dials again and checks the daemon answers. */
  readonly reconnect: () => Effect.Effect<void, DaemonUnreachable>
}

export class ArkdConnection extends Context.Tag("relaygate/ArkdConnection")<ArkdConnection, DaemonConnection>() {}
export class LndConnection extends Context.Tag("relaygate/LndConnection")<LndConnection, DaemonConnection>() {}
export class TapdConnection extends Context.Tag("relaygate/TapdConnection")<TapdConnection, DaemonConnection>() {}
