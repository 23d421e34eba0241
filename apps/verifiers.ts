import { Effect, Layer } from "effect"
import * as SchnorrLibsecp from "../adapters/crypto/schnorr-libsecp.js"
import * as Sr25519Wasm from "../adapters/crypto/sr25519-wasm.js"
import * as VerifyPool from "../adapters/crypto/verify-pool.js"
import { VerifyThreadsConfig } from "./config.js"

/** One pool for both schemes: a module-level layer, so every module's verifier shares its threads. */
const PoolLive = Layer.unwrapEffect(Effect.map(VerifyThreadsConfig, (threads) => VerifyPool.layer(threads)))

/** Threads that cannot start are no reason not to serve: the verifiers run on the event loop instead, said once per scheme. */
export const orInProcess = <A, E1, E2>(threaded: Layer.Layer<A, E1>, inProcess: Layer.Layer<A, E2>) =>
  Layer.catchAll(threaded, (e) =>
    Layer.merge(
      inProcess,
      Layer.effectDiscard(Effect.logWarning("signature verification threads did not start; verifying on the event loop").pipe(
        Effect.annotateLogs({ cause: String(e) })
      ))
    ))

/** The in-process adapter with VERIFY_THREADS=0, else the pool's (falling back to the in-process one). */
const chosen = <A, E1, E2>(inProcess: Layer.Layer<A, E1>, pooled: Layer.Layer<A, E2, VerifyPool.VerifyPool>) =>
  Layer.unwrapEffect(Effect.map(VerifyThreadsConfig, (threads) => (threads === 0 ? inProcess : orInProcess(pooled.pipe(Layer.provide(PoolLive)), inProcess))))

/** BIP-340 for the ark module: libsecp256k1 on the event loop, or on VERIFY_THREADS worker threads. */
export const SchnorrVerifierLive = chosen(SchnorrLibsecp.layer, VerifyPool.schnorrLayer)

/** sr25519 for the epochs module: schnorrkel WASM on the event loop, or on VERIFY_THREADS worker threads. */
export const Sr25519VerifierLive = chosen(Sr25519Wasm.layer, VerifyPool.sr25519Layer)
