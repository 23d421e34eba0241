import { Context, Data, type Effect } from "effect"
import type { Session, VtxoInput } from "./model.js"

/** What a p2p_transfer ceremony moves, read from the verified intent. */
export interface TransferIntent {
  readonly session_id: string
  readonly sender_pubkey: string
  readonly recipient_pubkey: string
  readonly asset_id: string
  readonly amount: bigint
}

export interface ExecutedTransfer {
  readonly ark_txid: string
  readonly final_ark_tx: string | null
  readonly inputs: ReadonlyArray<VtxoInput>
  /** The change output back to the gateway (vout 1), when there is one. */
  readonly change: { readonly vout: number; readonly amount: bigint; readonly script: string } | null
}

/** Why the money side refused a step; becomes the step's recorded error. */
export class FundsRefused extends Data.TaggedError("FundsRefused")<{ readonly reason: string }> {}

/**
 * The money side of the ark ceremony, provided by the ledger and the VTXO
 * inventory (core/transactions). Every method is idempotent on the session id,
 * because a step may be re-run after a restart. The ceremony works without it
 * (spending whatever gateway VTXOs arkd lists, moving no balances), which is
 * what embedders that keep their own books get.
 */
export class CeremonyFunds extends Context.Tag("relaygate/CeremonyFunds")<
  CeremonyFunds,
  {
    /** intent_verification: the sender's amount is reserved for this session. */
    readonly reserve: (t: TransferIntent) => Effect.Effect<void, FundsRefused>
    /** ark_transaction_prep: gateway VTXOs worth at least `minimum` sats, assigned to this session atomically. */
    readonly inputs: (t: TransferIntent, minimum: bigint) => Effect.Effect<ReadonlyArray<VtxoInput>, FundsRefused>
    /** finalization, once arkd finalized: the ledger transfer, exactly once per session. */
    readonly settle: (t: TransferIntent, tx: ExecutedTransfer) => Effect.Effect<void, FundsRefused>
    /** The ceremony ended without completing: the reservation and the inputs go back. Never after settle. */
    readonly release: (session: Session, reason: string) => Effect.Effect<void>
  }
>() {}
