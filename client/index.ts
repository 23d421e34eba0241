import { FetchHttpClient, HttpApiClient } from "@effect/platform"
import { schnorr } from "@noble/curves/secp256k1.js"
import { Context, Duration, Effect, Layer, Schedule, Schema } from "effect"
import { RelaygateApi } from "../apps/http/api.js"
import type { CeremonyView } from "../apps/http/ark/views.js"
import { CHALLENGE_DOMAIN, challengeMessage, intentHash } from "../core/signing/challenge.js"
import type { IntentData, SessionType } from "../core/signing/model.js"
import { bytesToHex } from "../core/shared/hex.js"

/**
 * A typed client for a running relaygate, generated from the same HttpApi
 * contract the server is built from: every route is `client.<group>.<endpoint>`,
 * and error responses come back decoded as the module's domain errors
 * (`SessionNotFound`, `InvalidSignature`, …) so `Effect.catchTag` works on them.
 * A request refused by the server's limits (over capacity, shutting down, too
 * big) is a `RequestRefused` on any route. A response the contract does not
 * declare (a proxy's 502, say) fails with the platform's ResponseError or
 * ParseError instead.
 */
export { RelaygateApi }
export { RequestRefused } from "../apps/http/refusals.js"

export interface ClientOptions {
  /** e.g. `http://localhost:8000` */
  readonly baseUrl: string
}

/** The client over a given HttpClient (FetchHttpClient, NodeHttpClient, one with retries…). */
export const make = (options: ClientOptions) => HttpApiClient.make(RelaygateApi, { baseUrl: options.baseUrl })

export type Client = Effect.Effect.Success<ReturnType<typeof make>>

export class RelaygateClient extends Context.Tag("relaygate/RelaygateClient")<RelaygateClient, Client>() {}

/** The client on the platform's fetch (Node ≥ 20, browsers, Deno, Bun). */
export const layer = (options: ClientOptions): Layer.Layer<RelaygateClient> =>
  Layer.effect(RelaygateClient, make(options)).pipe(Layer.provide(FetchHttpClient.layer))

/** A wallet key for ark signing: a 32-byte secp256k1 secret; its x-only public key is the user's identity. */
export interface WalletKey {
  readonly secretKey: Uint8Array
}

export const publicKeyOf = (key: WalletKey): string => bytesToHex(schnorr.getPublicKey(key.secretKey))

/** The challenge does not bind what this wallet asked for: it is not signed. */
export class ChallengeMismatch extends Schema.TaggedError<ChallengeMismatch>()("ChallengeMismatch", {
  session_id: Schema.String,
  field: Schema.String
}) {
  override get message() {
    return `challenge for session ${this.session_id} does not bind the expected ${this.field}`
  }
}

/** The ceremony ended without completing (failed or cancelled). */
export class CeremonyUnsuccessful extends Schema.TaggedError<CeremonyUnsuccessful>()("CeremonyUnsuccessful", {
  session_id: Schema.String,
  status: Schema.String,
  error: Schema.NullOr(Schema.String)
}) {
  override get message() {
    return `ceremony ${this.session_id} ended ${this.status}${this.error === null ? "" : `: ${this.error}`}`
  }
}

/**
 * Checks that `challenge_data` binds this session, this key and exactly this
 * intent before a wallet signs it (the gateway's key and nonce are its own).
 */
export const checkChallenge = (
  challengeData: string,
  expected: { readonly session_id: string; readonly user_pubkey: string; readonly intent_data: IntentData }
): ChallengeMismatch | undefined => {
  let bound: Record<string, unknown>
  try {
    bound = JSON.parse(challengeData) as Record<string, unknown>
  } catch {
    return new ChallengeMismatch({ session_id: expected.session_id, field: "encoding" })
  }
  const wanted: Record<string, unknown> = {
    domain: CHALLENGE_DOMAIN,
    session_id: expected.session_id,
    user_pubkey: expected.user_pubkey,
    intent_hash: intentHash(expected.intent_data)
  }
  const field = Object.keys(wanted).find((k) => bound[k] !== wanted[k])
  return field === undefined ? undefined : new ChallengeMismatch({ session_id: expected.session_id, field })
}

/** BIP-340 signature over sha256(UTF-8 challenge_data), hex: what `/sessions/{id}/respond` takes. */
export const signChallenge = (challengeData: string, key: WalletKey): string =>
  bytesToHex(schnorr.sign(challengeMessage(challengeData), key.secretKey))

export interface SignedIntent {
  readonly key: WalletKey
  readonly session_type: SessionType
  readonly intent_data: IntentData
  /** How often to poll the ceremony's status (default 200 ms). */
  readonly pollEvery?: Duration.DurationInput
}

/**
 * The whole ark signing flow for one intent: create a session, fetch and check
 * the challenge, sign it with the wallet key, respond, start the ceremony and
 * wait until it finishes. Succeeds with the completed ceremony (its `ark_txid`);
 * a failed or cancelled ceremony is a `CeremonyUnsuccessful`.
 */
export const runSignedIntent = Effect.fn("RelaygateClient.runSignedIntent")(function*(intent: SignedIntent) {
  const client = yield* RelaygateClient
  const user_pubkey = publicKeyOf(intent.key)
  const session = yield* client.sessions.create({
    payload: { user_pubkey, session_type: intent.session_type, intent_data: intent.intent_data }
  })
  const path = { session_id: session.session_id }
  const challenge = yield* client.sessions.challenge({ path })
  const mismatch = checkChallenge(challenge.challenge_data, { session_id: session.session_id, user_pubkey, intent_data: intent.intent_data })
  if (mismatch !== undefined) return yield* mismatch
  yield* client.sessions.respond({ path, payload: { signature: signChallenge(challenge.challenge_data, intent.key), user_pubkey } })
  yield* client.ceremony.start({ payload: { session_id: session.session_id, auto_execute: true } })
  const done = yield* client.ceremony.status({ path }).pipe(
    Effect.repeat(
      Schedule.spaced(intent.pollEvery ?? Duration.millis(200)).pipe(
        Schedule.whileInput((c: typeof CeremonyView.Type) => c.status === "running"),
        Schedule.passthrough
      )
    )
  )
  if (done.status !== "completed") {
    return yield* new CeremonyUnsuccessful({ session_id: done.session_id, status: done.status, error: done.error })
  }
  return done
})
