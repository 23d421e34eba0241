import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { stringToU8a, u8aToHex, u8aWrapBytes } from "@polkadot/util"
import type { MarketTier, ZipcodeEntry } from "../../core/epochs/model.js"

const keyring = new Keyring({ type: "sr25519", ss58Format: 42 })

/** An sr25519 key pair from a dev URI (`//Alice`, `//Miner1`, …). */
export const devPair = (uri: string): KeyringPair => keyring.addFromUri(uri)

/** Hex (no 0x) signature over the UTF-8 commitment, as the spec's clients produce it. */
export const signHex = (pair: KeyringPair, commitment: string): string => u8aToHex(pair.sign(stringToU8a(commitment)), -1, false)

/** A signature over `<Bytes>commitment</Bytes>`, as polkadot.js extensions' signRaw produces it. */
export const signWrappedHex = (pair: KeyringPair, commitment: string): string =>
  u8aToHex(pair.sign(u8aWrapBytes(stringToU8a(commitment))), -1, false)

export const entry = (
  zipcode: string,
  expectedListings: number,
  marketTier: MarketTier = "STANDARD",
  overrides: Partial<ZipcodeEntry> = {}
): ZipcodeEntry => ({
  zipcode,
  state: "PA",
  city: "Philadelphia",
  county: "Philadelphia County",
  marketTier,
  geographicRegion: "Northeast",
  expectedListings,
  ...overrides
})
