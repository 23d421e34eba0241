import { blake2b } from "@noble/hashes/blake2.js"
import { base58 } from "@scure/base"
import { Either } from "effect"
import { utf8 } from "../shared/hash.js"
import { recentCache } from "../shared/recent-cache.js"

/** Bittensor (and generic Substrate) addresses use SS58 network prefix 42. */
export const SS58_PREFIX = 42

const SS58_CONTEXT = utf8("SS58PRE")
// One prefix byte (prefixes < 64), a 32-byte public key, a 2-byte checksum.
const DECODED_LENGTH = 1 + 32 + 2

const checksum = (payload: Uint8Array): Uint8Array => {
  const input = new Uint8Array(SS58_CONTEXT.length + payload.length)
  input.set(SS58_CONTEXT)
  input.set(payload, SS58_CONTEXT.length)
  return blake2b(input, { dkLen: 64 }).subarray(0, 2)
}

/** Why an address was rejected; the wording ends up in 400 messages. */
export type Ss58Problem = "not base58" | "wrong length" | "wrong network prefix" | "bad checksum"

const decode = (address: string): Either.Either<Uint8Array, Ss58Problem> => {
  let decoded: Uint8Array
  try {
    decoded = base58.decode(address)
  } catch {
    return Either.left("not base58")
  }
  if (decoded.length !== DECODED_LENGTH) return Either.left("wrong length")
  if (decoded[0] !== SS58_PREFIX) return Either.left("wrong network prefix")
  const sum = checksum(decoded.subarray(0, 33))
  if (decoded[33] !== sum[0] || decoded[34] !== sum[1]) return Either.left("bad checksum")
  return Either.right(decoded.slice(1, 33))
}

// Every signed request decodes its hotkey (and the permissive metagraph decodes it again), and
// base58 plus the blake2b checksum was a large share of what a refused request costs (bench row 5).
// Hotkeys are a small set (256 neurons), so valid addresses are remembered. Only valid ones: they
// are all 47–48 characters, so the cache's memory is bounded by its entry count; any string a
// client sends could be an invalid one. Between 4,096 and 8,192 of the latest are kept.
const decodedKeys = recentCache<string, Uint8Array>(4096)

/**
 * Decode an SS58 account address (prefix 42, 32-byte public key). Pure and
 * total: `@polkadot/util-crypto`'s `decodeAddress` throws on bad input and also
 * accepts hex public keys, which we do not want for hotkeys.
 */
export const decodeSs58 = (address: string): Either.Either<Uint8Array, Ss58Problem> => {
  const known = decodedKeys.get(address)
  // A copy: the caller may write to its key without corrupting the cache.
  if (known !== undefined) return Either.right(known.slice())
  const result = decode(address)
  if (Either.isRight(result)) {
    decodedKeys.set(address, result.right.slice())
  }
  return result
}

export const isSs58Address = (address: string): boolean => decodedKeys.has(address) || Either.isRight(decodeSs58(address))

/** Encode a 32-byte public key as a prefix-42 SS58 address. */
export const encodeSs58 = (publicKey: Uint8Array): string => {
  if (publicKey.length !== 32) throw new RangeError(`expected a 32-byte public key, got ${publicKey.length} bytes`)
  const payload = new Uint8Array(33)
  payload[0] = SS58_PREFIX
  payload.set(publicKey, 1)
  const out = new Uint8Array(DECODED_LENGTH)
  out.set(payload)
  out.set(checksum(payload), 33)
  return base58.encode(out)
}
