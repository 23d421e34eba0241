import { u8aIsWrapped, u8aWrapBytes } from "@polkadot/util"

type RawVerify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

/**
 * Shared by both sr25519 adapters so they agree on every input: lengths are
 * checked up front (one library throws, the other returns false), a throw is
 * "invalid", and a signature over `<Bytes>message</Bytes>` — what polkadot.js
 * extensions' signRaw produces — is tried after the raw message.
 */
export const acceptingWrapped = (raw: RawVerify): RawVerify => {
  const safe: RawVerify = (s, m, p) => {
    try {
      return raw(s, m, p)
    } catch {
      return false
    }
  }
  return (signature, message, publicKey) => {
    if (signature.length !== 64 || publicKey.length !== 32) return false
    if (safe(signature, message, publicKey)) return true
    return !u8aIsWrapped(message, true) && safe(signature, u8aWrapBytes(message), publicKey)
  }
}
