import { Effect } from "effect"
import type { DaemonConnection, DaemonName } from "../../ports/daemon-connection.js"

/** A simulated daemon lives in this process: there is nothing to dial, so reconnecting always succeeds. */
export const simulated = (daemon: DaemonName): DaemonConnection => ({
  daemon,
  adapter: "simulated",
  target: undefined,
  reconnect: () => Effect.void
})
