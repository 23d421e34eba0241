import { Context, Data, type Effect } from "effect"

/**
 * The gateway's own secp256k1 key (GATEWAY_PRIVATE_KEY). Its x-only pubkey is
 * bound into every challenge; it owns the gateway's inventory VTXOs and signs
 * their taproot inputs. The private key never leaves the adapter.
 */
export class GatewaySigner extends Context.Tag("relaygate/GatewaySigner")<
  GatewaySigner,
  {
    /** x-only public key, lower-case hex. */
    readonly pubkey: string
    /**
     * Sign every taproot input of the PSBT (base64) that this key can sign,
     * key path or script path, and return the PSBT with the signatures added.
     */
    readonly signPsbt: (psbtBase64: string) => Effect.Effect<string, GatewaySigningFailed>
  }
>() {}


export class GatewaySigningFailed extends Data.TaggedError("GatewaySigningFailed")<{
  readonly reason: string
  readonly cause?: unknown
}> {}
