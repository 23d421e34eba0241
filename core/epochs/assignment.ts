import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { canonicalJson } from "../shared/canonical-json.js"
import { sha256Hex, utf8 } from "../shared/hash.js"
import { bytesToHex } from "../shared/hex.js"
import { toIso } from "../shared/time.js"
import type { EpochWindow } from "./clock.js"
import { ALGORITHM_VERSION, type Epoch, type EpochId } from "./model.js"
import type { Selection, SelectionParams } from "./selection.js"

const hmacSha256 = (secret: string, message: string): Uint8Array => hmac(sha256, utf8(secret), utf8(message))

/** sha256 hex of the canonical JSON of the sorted zipcode strings: independent of selection order. */
export const zipcodesHash = (zipcodes: ReadonlyArray<string>): string => sha256Hex(canonicalJson([...zipcodes].sort()))

/**
 * First 16 hex of HMAC-SHA256(secret, `${epochId}:${start}:${zipcodesHash}`),
 * start as the ISO-8601 string clients see in `epochStart`. Anyone holding the
 * secret can recompute it from a response; nobody else can forge one.
 */
export const epochNonce = (secret: string, epochId: string, start: number, zipcodes: ReadonlyArray<string>): string =>
  bytesToHex(hmacSha256(secret, `${epochId}:${toIso(start)}:${zipcodesHash(zipcodes)}`)).slice(0, 16)

/**
 * The selection seed is keyed by the secret so future assignments cannot be
 * predicted from the public catalogue; 31 bits so it is a plain JSON number
 * that fits a signed 32-bit column.
 */
export const selectionSeed = (secret: string, epochId: string): number => {
  const h = hmacSha256(secret, `selection-seed:${epochId}`)
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 1
}

export const buildEpoch = (input: {
  readonly window: EpochWindow
  readonly selection: Selection
  readonly params: SelectionParams
  readonly seed: number
  readonly secret: string
  readonly now: number
}): Epoch => ({
  id: input.window.id as EpochId,
  start: input.window.start,
  end: input.window.end,
  nonce: epochNonce(input.secret, input.window.id, input.window.start, input.selection.zipcodes.map((z) => z.zipcode)),
  targetListings: input.params.targetListings,
  tolerancePercent: input.params.tolerancePercent,
  zipcodes: input.selection.zipcodes,
  totalExpectedListings: input.selection.totalExpectedListings,
  selectionSeed: input.seed,
  algorithmVersion: ALGORITHM_VERSION,
  createdAt: input.now
})
