import { Clock, Context, Data, Duration, Effect, Either, FiberSet, Layer, Option } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { hexToBytes } from "../shared/hex.js"
import { ArkServer, type ArkServerError } from "../../ports/ark-server.js"
import { GatewaySigner, type GatewaySigningFailed } from "../../ports/gateway-signer.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import { SessionStore } from "../../ports/session-store.js"
import { buildOffchainTx, selectInputs, validateOffchainTx } from "./ark-tx.js"
import * as Ceremony from "./ceremony.machine.js"
import { challengeMessage, intentHash } from "./challenge.js"
import { CeremonyFunds, type TransferIntent } from "./funds.js"
import {
  type CeremonyNotFound,
  CeremonyStepFailed,
  type InvalidSessionState,
  type SessionExpired,
  type SessionNotFound,
  type StepOutOfOrder
} from "./errors.js"
import { type CeremonyArtifacts, type Session, STEP_COUNT, STEP_TIMEOUT_MS } from "./model.js"
import { logEvents, transition } from "./service.js"

type Command<A, E = never> = Effect.Effect<
  A,
  E | SessionNotFound | SessionExpired | InvalidSessionState | CeremonyNotFound | StoreUnavailable
>

/** The 6-step ceremony: runs steps through arkd, enforces order and deadlines, survives restarts. */
export class CeremonyService extends Context.Tag("relaygate/CeremonyService")<
  CeremonyService,
  {
    /** Starts the ceremony; with `auto` the gateway runs all six steps in the background. */
    readonly start: (sessionId: string, options: { readonly auto: boolean }) => Command<Session>
    readonly status: (sessionId: string) => Command<Session>
    /** Runs one step now and returns the session after it; a failed step fails with CeremonyStepFailed. */
    readonly executeStep: (sessionId: string, step: number) => Command<Session, StepOutOfOrder | CeremonyStepFailed>
    readonly cancel: (sessionId: string, reason: string) => Command<Session>
    /**
     * For ceremonies found in `signing` at start-up: fail those past a deadline,
     * re-run a step that was interrupted mid-way, and keep driving auto ones.
     */
    readonly recover: () => Effect.Effect<{ readonly resumed: number; readonly failed: number }, StoreUnavailable>
  }
>() {}

/** Why a step could not do its work; becomes the step's recorded error. */
class StepProblem extends Data.TaggedError("StepProblem")<{ readonly reason: string }> {}

const fromDaemon = (e: ArkServerError | GatewaySigningFailed) =>
  new StepProblem({ reason: e._tag === "ArkServerUnavailable" ? `arkd unavailable: ${e.reason}` : e._tag === "ArkTxRejected" ? `arkd rejected the transaction: ${e.reason}` : `gateway signing failed: ${e.reason}` })

const require = <A>(value: A | undefined, what: string): Effect.Effect<A, StepProblem> =>
  value === undefined ? Effect.fail(new StepProblem({ reason: `missing ${what} from an earlier step` })) : Effect.succeed(value)

export const make = Effect.gen(function*() {
  const store = yield* SessionStore
  const ark = yield* ArkServer
  const gateway = yield* GatewaySigner
  const verifier = yield* SchnorrVerifier
  const funds = yield* Effect.serviceOption(CeremonyFunds)
  const running = yield* FiberSet.make()

  const intentOf = (s: Session, a: CeremonyArtifacts): TransferIntent => ({
    session_id: s.session_id,
    sender_pubkey: s.user_pubkey,
    recipient_pubkey: a.recipient_pubkey ?? "",
    asset_id: a.asset_id ?? "BTC",
    amount: a.amount ?? 0n
  })
  const refused = (e: { readonly reason: string }) => new StepProblem({ reason: e.reason })

  /** A ceremony that ended without completing gives its reservation and inputs back (idempotent). */
  const releaseIfEnded = (s: Session) =>
    Option.isSome(funds) && s.ceremony !== null && (s.ceremony.status === "failed" || s.ceremony.status === "cancelled")
      ? funds.value.release(s, s.ceremony.error ?? s.ceremony.status)
      : Effect.void

  /**
   * After a command that failed: a deadline may have ended the ceremony on
   * the way (time wins over the command), so look again. A store outage here
   * is left to the reconciler.
   */
  const releaseAfterFailure = (sessionId: string) =>
    Option.isNone(funds)
      ? Effect.void
      : store.get(sessionId).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: releaseIfEnded })),
        Effect.catchAll(() => Effect.void)
      )

  const steps: Record<number, (s: Session, a: CeremonyArtifacts) => Effect.Effect<Partial<CeremonyArtifacts>, StepProblem>> = {
    // 1: the signature that authorised this session is checked again, and the
    // intent must still be the one the challenge bound.
    1: Effect.fn("Ceremony.intentVerification")(function*(s) {
      const c = s.challenge
      if (c === null || !c.is_used || c.signature === null) return yield* new StepProblem({ reason: "no verified signature" })
      const ok = yield* verifier.verify(hexToBytes(c.signature), challengeMessage(c.challenge_data), hexToBytes(s.user_pubkey))
      if (!ok) return yield* new StepProblem({ reason: "the session signature does not verify" })
      if (intentHash(s.intent_data) !== c.intent_hash) return yield* new StepProblem({ reason: "intent_data changed after it was signed" })
      if (s.session_type !== "p2p_transfer") {
        return yield* new StepProblem({ reason: `session_type ${s.session_type} is not executed by the ark ceremony` })
      }
      const asset = typeof s.intent_data["asset_id"] === "string" ? s.intent_data["asset_id"] : "BTC"
      if (asset !== "BTC") return yield* new StepProblem({ reason: `asset ${asset} cannot be sent as a BTC VTXO` })
      const intent = {
        recipient_pubkey: String(s.intent_data["recipient_pubkey"]),
        amount: BigInt(s.intent_data["amount"] as number | string),
        asset_id: asset
      }
      // The sender's balance is set aside before anything is built, so a sender who cannot pay fails here, untouched.
      if (Option.isSome(funds)) yield* funds.value.reserve(intentOf(s, intent)).pipe(Effect.mapError(refused))
      return intent
    }),
    2: Effect.fn("Ceremony.arkTransactionPrep")(function*(s, a) {
      const amount = yield* require(a.amount, "amount")
      const recipient = yield* require(a.recipient_pubkey, "recipient")
      const info = yield* ark.getInfo().pipe(Effect.mapError(fromDaemon))
      // With an inventory, a VTXO covering the amount plus a change output above dust is assigned to this session.
      const inputs = Option.isSome(funds)
        ? yield* funds.value.inputs(intentOf(s, a), amount + info.dust).pipe(Effect.mapError(refused))
        : yield* Effect.flatMap(ark.listVtxos(gateway.pubkey).pipe(Effect.mapError(fromDaemon)), (owned) =>
          Either.mapLeft(
            selectInputs(owned.map(({ amount, script, txid, vout }) => ({ txid, vout, amount, script })), amount),
            (e) => new StepProblem({ reason: e.message })
          ))
      const built = yield* Either.mapLeft(
        buildOffchainTx({
          inputs,
          ownerPubkey: gateway.pubkey,
          recipientPubkey: recipient,
          amount,
          serverPubkey: info.signerPubkey,
          exitDelay: info.unilateralExitDelay,
          dust: info.dust
        }),
        (e) => new StepProblem({ reason: e.message })
      )
      return { server_pubkey: info.signerPubkey, inputs, ark_tx: built.arkTx, checkpoint_txs: built.checkpointTxs }
    }),
    3: Effect.fn("Ceremony.checkpointTransactionPrep")(function*(_s, a) {
      const info = yield* ark.getInfo().pipe(Effect.mapError(fromDaemon))
      const checked = yield* Either.mapLeft(
        validateOffchainTx({
          arkTx: yield* require(a.ark_tx, "ark tx"),
          checkpointTxs: yield* require(a.checkpoint_txs, "checkpoint txs"),
          inputs: yield* require(a.inputs, "inputs"),
          ownerPubkey: gateway.pubkey,
          recipientPubkey: yield* require(a.recipient_pubkey, "recipient"),
          amount: yield* require(a.amount, "amount"),
          serverPubkey: yield* require(a.server_pubkey, "server key"),
          exitDelay: info.unilateralExitDelay
        }),
        (e) => new StepProblem({ reason: e.message })
      )
      return { ark_txid: checked.arkTxid }
    }),
    4: Effect.fn("Ceremony.signatureCollection")(function*(_s, a) {
      const signed = yield* gateway.signPsbt(yield* require(a.ark_tx, "ark tx")).pipe(Effect.mapError(fromDaemon))
      return { ark_tx: signed }
    }),
    5: Effect.fn("Ceremony.arkProtocolExecution")(function*(_s, a) {
      const expected = yield* require(a.ark_txid, "ark txid")
      const result = yield* ark.submitTx({
        signedArkTx: yield* require(a.ark_tx, "signed ark tx"),
        checkpointTxs: yield* require(a.checkpoint_txs, "checkpoint txs")
      }).pipe(Effect.mapError(fromDaemon))
      if (result.arkTxid !== expected) {
        return yield* new StepProblem({ reason: `arkd returned txid ${result.arkTxid}, expected ${expected}` })
      }
      return { final_ark_tx: result.finalArkTx, checkpoint_txs: result.signedCheckpointTxs }
    }),
    6: Effect.fn("Ceremony.finalization")(function*(s, a) {
      const checkpoints = yield* require(a.checkpoint_txs, "co-signed checkpoints")
      const final = yield* Effect.forEach(checkpoints, (psbt) => gateway.signPsbt(psbt)).pipe(Effect.mapError(fromDaemon))
      const arkTxid = yield* require(a.ark_txid, "ark txid")
      yield* ark.finalizeTx({ arkTxid, finalCheckpointTxs: final }).pipe(Effect.mapError(fromDaemon))
      if (Option.isSome(funds)) {
        const inputs = yield* require(a.inputs, "inputs")
        const amount = yield* require(a.amount, "amount")
        const change = inputs.reduce((n, v) => n + v.amount, 0n) - amount
        yield* funds.value.settle(intentOf(s, a), {
          ark_txid: arkTxid,
          final_ark_tx: a.final_ark_tx ?? null,
          inputs,
          // The change pays the owner's own VTXO script at vout 1 (validateOffchainTx checked it in step 3).
          change: change > 0n ? { vout: 1, amount: change, script: inputs[0]!.script } : null
        }).pipe(Effect.mapError(refused))
      }
      return { final_checkpoint_txs: final }
    })
  }

  /**
   * Begin (atomically), do the work within the step's and the ceremony's
   * deadlines, then record the outcome (atomically). A crash between the two
   * leaves the step `running`; `recover` re-runs it.
   */
  const runStep = (sessionId: string, step: number, resume: boolean) =>
    Effect.gen(function*() {
      const begun = yield* transition(store, sessionId, (s, now) => Ceremony.beginStep(s, step, now, resume))
      const c = begun.session.ceremony!
      const now = yield* Clock.currentTimeMillis
      const budget = Math.max(0, Math.min(STEP_TIMEOUT_MS, c.deadline_at - now))
      const outcome = yield* steps[step]!(begun.session, c.artifacts).pipe(
        Effect.timeoutFail({ duration: Duration.millis(budget), onTimeout: () => new StepProblem({ reason: `timed out after ${Math.round(budget / 1000)} s` }) }),
        Effect.either
      )
      const recorded = yield* transition(store, sessionId, (s, at) =>
        Either.isRight(outcome)
          ? Ceremony.completeStep(s, step, outcome.right, at)
          : Ceremony.failStep(s, step, outcome.left.reason, at))
      if (Either.isLeft(outcome)) {
        return yield* new CeremonyStepFailed({ session_id: sessionId, step, reason: outcome.left.reason })
      }
      return recorded.session
    }).pipe(Effect.tapError(() => releaseAfterFailure(sessionId)))

  /** Runs the remaining steps in order until the ceremony ends or a step fails. */
  const drive = (sessionId: string, resumeFirst: boolean) =>
    Effect.gen(function*() {
      let resume = resumeFirst
      while (true) {
        const s = Option.getOrUndefined(yield* store.get(sessionId))
        const c = s?.ceremony
        if (c == null || c.status !== "running" || c.current_step > STEP_COUNT) return
        yield* runStep(sessionId, c.current_step, resume)
        resume = false
      }
    }).pipe(
      Effect.catchAll((e) => Effect.logWarning("ceremony stopped").pipe(Effect.annotateLogs({ session_id: sessionId, reason: e.message }))),
      Effect.withSpan("CeremonyService.drive", { attributes: { sessionId } })
    )

  const current = Effect.fn("CeremonyService.status")(function*(sessionId: string) {
    // Reading the status also applies a deadline that has passed, so a client
    // polling a hung ceremony sees it fail on time.
    const before = yield* store.get(sessionId)
    const s = (yield* transition(store, sessionId, (s) => Either.right({ session: s, events: [] }))).session
    // Only the read that applied the deadline releases, not every later poll of the ended ceremony.
    if (Option.exists(before, (b) => b.ceremony?.status === "running")) yield* releaseIfEnded(s)
    return s
  })

  return CeremonyService.of({
    start: Effect.fn("CeremonyService.start")(function*(sessionId: string, options: { readonly auto: boolean }) {
      const d = yield* transition(store, sessionId, (s, now) => Ceremony.start(s, options.auto, now))
      if (d.events.length > 0 && options.auto) yield* FiberSet.run(running, drive(sessionId, false))
      return d.session
    }),
    status: current,
    executeStep: Effect.fn("CeremonyService.executeStep")(function*(sessionId: string, step: number) {
      return yield* runStep(sessionId, step, false)
    }),
    cancel: Effect.fn("CeremonyService.cancel")(function*(sessionId: string, reason: string) {
      const s = (yield* transition(store, sessionId, (s, now) => Ceremony.cancel(s, reason, now))).session
      yield* releaseIfEnded(s)
      return s
    }, (effect, sessionId) => Effect.tapError(effect, () => releaseAfterFailure(sessionId))),
    recover: Effect.fn("CeremonyService.recover")(function*() {
      const now = yield* Clock.currentTimeMillis
      let resumed = 0
      let failed = 0
      for (const s of yield* store.listSweepable(now)) {
        if (s.status !== "signing" || s.ceremony?.status !== "running") continue
        const timedOut = Ceremony.timeoutIfDue(s, now)
        if (Option.isSome(timedOut)) {
          const [after, events] = yield* store.modify(s.session_id, (cur) =>
            Option.match(Ceremony.timeoutIfDue(cur, now), {
              onNone: () => Either.right([cur, [cur, []]] as const),
              onSome: (d) => Either.right([d.session, [d.session, d.events]] as const)
            })).pipe(Effect.orElseSucceed(() => [s, []] as const))
          yield* logEvents(events)
          yield* releaseIfEnded(after)
          failed++
          continue
        }
        const interrupted = s.ceremony.steps.some((r) => r.status === "running")
        if (!interrupted && !s.ceremony.auto) continue
        yield* Effect.logInfo("resuming ceremony").pipe(Effect.annotateLogs({ session_id: s.session_id, step: s.ceremony.current_step }))
        yield* FiberSet.run(
          running,
          s.ceremony.auto ? drive(s.session_id, interrupted) : runStep(s.session_id, s.ceremony.current_step, true).pipe(Effect.ignoreLogged)
        )
        resumed++
      }
      return { resumed, failed }
    })
  })
})

export const layer = Layer.scoped(CeremonyService, make)
