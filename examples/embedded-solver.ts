/**
 * A solver that embeds relaygate's ark core in its own process: no HTTP, no
 * database. The core services run on the memory adapters, the Ark server is the
 * simulator (real PSBTs), and a P2P transfer goes through a signing session and
 * the 6-step ceremony exactly as it does behind the gateway's routes.
 *
 *   npx tsx --conditions=relaygate-source examples/embedded-solver.ts
 *
 * Prints one JSON line: the Ark txid and both parties' balances afterwards.
 */
import { schnorr } from "@noble/curves/secp256k1.js"
import { Effect, Layer, Redacted } from "effect"
import * as Crypto from "relaygate/adapters/crypto"
import * as Memory from "relaygate/adapters/memory"
import { BTC, Ledger } from "relaygate/core/ledger"
import { bytesToHex } from "relaygate/core/shared"
import { Ceremonies, challengeMessage, Sessions, STEP_COUNT } from "relaygate/core/signing"
import { Funds } from "relaygate/core/transactions"
import { Vtxos } from "relaygate/core/vtxo"

// What the core needs from the world, in memory. A production solver swaps in
// relaygate/adapters/mariadb stores and relaygate/adapters/grpc daemons here.
const World = Layer.mergeAll(
  Memory.SessionStore.layer,
  Memory.LedgerStore.layer,
  Memory.VtxoStore.layer,
  Memory.TransactionStore.layer,
  Memory.ArkServer.layer(),
  Crypto.SchnorrLibsecp.layer,
  // The gateway key co-signs Ark transactions; a real solver loads its own.
  Crypto.GatewaySigner.layer(Redacted.make(bytesToHex(schnorr.utils.randomSecretKey())))
)

// The ceremony moves money through the ledger and the VTXO inventory.
const Money = Funds.layer.pipe(
  Layer.provideMerge(Vtxos.layer({ expirationMs: 24 * 3_600_000, minAmountSats: 1_000n })),
  Layer.provideMerge(Ledger.layer)
)

const Core = Layer.mergeAll(
  Sessions.layer({ sessionTtlMs: 30 * 60_000, challengeTtlMs: 5 * 60_000 }),
  Ceremonies.layer
).pipe(Layer.provideMerge(Money), Layer.provideMerge(World))

const program = Effect.gen(function*() {
  const ledger = yield* Ledger.LedgerService
  const vtxos = yield* Vtxos.VtxoService
  const sessions = yield* Sessions.SessionService
  const ceremonies = yield* Ceremonies.CeremonyService

  // Two wallets with real secp256k1 keys; the sender is funded on the ledger.
  const senderKey = schnorr.utils.randomSecretKey()
  const sender = bytesToHex(schnorr.getPublicKey(senderKey))
  const recipient = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))
  yield* ledger.ensureAsset(BTC)
  yield* vtxos.createBatch({ asset_id: BTC.asset_id, count: 5, amount_sats: 100_000n })
  yield* ledger.mint({ asset_id: BTC.asset_id, user_pubkey: sender, amount: 50_000n })

  // Session → challenge → BIP-340 signature → verified intent.
  const session = yield* sessions.create({
    user_pubkey: sender,
    session_type: "p2p_transfer",
    intent_data: { recipient_pubkey: recipient, amount: 10_000, asset_id: BTC.asset_id }
  })
  const { challenge } = yield* sessions.issueChallenge(session.session_id)
  const signature = bytesToHex(schnorr.sign(challengeMessage(challenge.challenge_data), senderKey))
  yield* sessions.respond(session.session_id, { signature })

  // The ceremony, one step at a time (auto: true would run them in the background).
  yield* ceremonies.start(session.session_id, { auto: false })
  for (let step = 1; step <= STEP_COUNT; step++) yield* ceremonies.executeStep(session.session_id, step)
  const done = yield* sessions.get(session.session_id)

  const balance = (who: string) =>
    Effect.map(ledger.balance(who, BTC.asset_id), (b) => ({ available: Number(b.available), reserved: Number(b.reserved) }))
  return {
    status: done.status,
    ark_txid: (done.result_data as { readonly ark_txid?: string } | null)?.ark_txid ?? null,
    sender: yield* balance(sender),
    recipient: yield* balance(recipient)
  }
})

const result = await Effect.runPromise(program.pipe(Effect.provide(Core), Effect.scoped))
console.log(JSON.stringify(result))
