import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

/** Whether throwaway certificates can be made here (they need the openssl CLI). */
export const canMakeCertificates = hasOpenssl

export interface DaemonCredentials {
  readonly dir: string
  readonly certPath: string
  readonly certPem: Buffer
  readonly keyPem: Buffer
  readonly macaroonPath: string
  readonly macaroonHex: string
}

/**
 * A fresh self-signed P-256 certificate for `subjectAltName` (openssl syntax)
 * and a random "macaroon", as files in a temporary directory removed when the
 * scope closes.
 */
export const credentialsNaming = (subjectAltName: string) => Effect.acquireRelease(
  Effect.sync((): DaemonCredentials => {
    const dir = mkdtempSync(join(tmpdir(), "relaygate-tls-"))
    const certPath = join(dir, "tls.cert")
    const keyPath = join(dir, "tls.key")
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyPath, "-out", certPath, "-days", "1", "-subj", "/CN=relaygate-test-daemon",
      "-addext", `subjectAltName=${subjectAltName}`
    ], { stdio: "ignore" })
    const macaroon = randomBytes(64)
    const macaroonPath = join(dir, "admin.macaroon")
    writeFileSync(macaroonPath, macaroon)
    return {
      dir,
      certPath,
      certPem: readFileSync(certPath),
      keyPem: readFileSync(keyPath),
      macaroonPath,
      macaroonHex: macaroon.toString("hex")
    }
  }),
  (c) => Effect.sync(() => rmSync(c.dir, { recursive: true, force: true }))
)

/** A certificate for 127.0.0.1/localhost, what lnd and tapd generate for themselves. */
export const throwawayCredentials = credentialsNaming("IP:127.0.0.1,DNS:localhost")
