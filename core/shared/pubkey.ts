import { bech32 } from "@scure/base"
import { bytesToHex, isHexOfLength } from "./hex.js"

/**
 * Normalizes a Nostr public key given as 64-hex (either case) or NIP-19 `npub`
 * to lower-case x-only hex. Returns undefined when it is neither.
 */
export const normalizeXOnlyPubkey = (input: string): string | undefined => {
  const s = input.trim()
  if (isHexOfLength(s, 32)) return s.toLowerCase()
  if (!s.toLowerCase().startsWith("npub1")) return undefined
  try {
    const { prefix, words } = bech32.decode(s.toLowerCase() as `${string}1${string}`, 90)
    if (prefix !== "npub") return undefined
    const bytes = bech32.fromWords(words)
    return bytes.length === 32 ? bytesToHex(bytes) : undefined
  } catch {
    return undefined
  }
}
