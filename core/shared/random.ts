import { Effect } from "effect"
import { bytesToHex } from "./hex.js"

/**
 * Cryptographically secure random hex. Web Crypto is a global in Node ≥ 20,
 * so core services can draw nonces without importing an I/O module.
 */
export const randomHex = (bytes: number): Effect.Effect<string> =>
  Effect.sync(() => bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(bytes))))

/** A random UUID v4, used for externally visible ids. */
export const randomUuid: Effect.Effect<string> = Effect.sync(() => globalThis.crypto.randomUUID())
