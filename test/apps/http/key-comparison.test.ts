import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import ts from "typescript"

/**
 * Secrets a caller presents (ADMIN_API_KEY via X-Admin-Key, on /admin/* and
 * the /nostr admin routes) are compared in constant time: `===` on a secret
 * returns at the first differing character, which leaks its prefix to a
 * patient attacker.
 */

const ROOT = new URL("../../../", import.meta.url).pathname
const SOURCES = ["apps", "adapters", "core", "ports"]

const walk = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === "node_modules" || name === "gen") return []
    return statSync(path).isDirectory() ? walk(path) : /\.ts$/.test(name) ? [path] : []
  })

const files = SOURCES.flatMap((d) => walk(join(ROOT, d)))

/** An expression that holds a presented or configured secret. */
const SECRETISH = /Redacted\.value\(|adminApiKey|admin_api_key|x-admin-key|apiKey\b|jwtSecret|JWT_SECRET|ADMIN_API_KEY/
const EQUALITY = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken])

/** Comparing with undefined/null/a literal checks presence or shape, not the secret's value. */
const isPresenceCheck = (e: ts.Expression) =>
  e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === "undefined") || ts.isStringLiteral(e) || ts.isNumericLiteral(e) ||
  ts.isTypeOfExpression(e)

const equalityOnSecrets = (path: string): ReadonlyArray<string> => {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true)
  const out: Array<string> = []
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && EQUALITY.has(n.operatorToken.kind)) {
      const sides = [n.left, n.right]
      if (sides.some((s) => SECRETISH.test(s.getText(source))) && !sides.some(isPresenceCheck)) {
        out.push(`${relative(ROOT, path)}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText(source)}`)
      }
    }
    ts.forEachChild(n, visit)
  }
  visit(source)
  return out
}

describe("secret comparisons are constant-time", () => {
  it("no ===, !==, == or != between a presented key and a configured secret anywhere in the sources", () => {
    expect(files.length).toBeGreaterThan(100)
    expect(files.flatMap(equalityOnSecrets)).toEqual([])
  })

  it("every file that checks X-Admin-Key against ADMIN_API_KEY does it with crypto.timingSafeEqual on equal-length digests", () => {
    const checkers = files.filter((f) => {
      const text = readFileSync(f, "utf8")
      return /adminApiKey/.test(text) && /x-admin-key/i.test(text) && !f.endsWith("config.ts") && !f.endsWith("config.docs.ts")
    })
    // The admin API and the Nostr admin routes at least; a new one joins this list by itself.
    expect(checkers.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(["apps/http/ark/nostr.handlers.ts"]))
    expect(checkers.length).toBeGreaterThanOrEqual(2)
    for (const f of checkers) {
      const text = readFileSync(f, "utf8")
      expect(text, relative(ROOT, f)).toMatch(/timingSafeEqual\(/)
      // timingSafeEqual throws on different lengths (which would leak the length): both sides are hashed first.
      expect(text, relative(ROOT, f)).toMatch(/createHash\("sha256"\)/)
    }
  })
})
