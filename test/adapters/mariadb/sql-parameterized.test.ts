import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import ts from "typescript"

/**
 * Every SQL statement of the MariaDB adapters is a `sql` tagged template, so
 * each `${value}` is a bound parameter. Text spliced into SQL (`sql.unsafe`,
 * `sql.literal`, untagged templates that build SQL) is allowed only where the
 * spliced text comes from constants in the code: the DDL of the migrations and
 * the packet table's column names. A new splice fails this test until it is
 * reviewed and added to ALLOWED with its reason.
 */

const DIR = new URL("../../../adapters/mariadb/", import.meta.url).pathname
const SQL_WORDS = /\b(SELECT|INSERT|UPDATE|DELETE|REPLACE|WHERE|FROM|VALUES|ORDER BY|GROUP BY|LIMIT|JOIN|SET|CREATE|ALTER|DROP)\b/

/** file → the exact source text of each reviewed splice, and why it is safe. */
const ALLOWED: Readonly<Record<string, ReadonlyArray<{ readonly text: string; readonly why: string }>>> = {
  "migrations.ts": [
    { text: "sql.unsafe(s.replace(\"$TABLE\", TABLE))", why: "DDL: every statement is a template without substitutions (checked below), TABLE a constant" }
  ],
  "packet-store.ts": [
    {
      text: "sql.literal(Object.keys(cols).map((c) => `${c} = VALUES(${c})`).join(\", \"))",
      why: "column names: the keys of packetColumns' object literal (checked below), never input"
    },
    { text: "`${c} = VALUES(${c})`", why: "the same column-name list" }
  ]
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".ts"))

interface Finding {
  readonly file: string
  readonly kind: string
  readonly text: string
}

const findings = (file: string): ReadonlyArray<Finding> => {
  const source = ts.createSourceFile(file, readFileSync(join(DIR, file), "utf8"), ts.ScriptTarget.Latest, true)
  const out: Array<Finding> = []
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node)) {
      const tag = node.tag.getText(source)
      if (SQL_WORDS.test(node.template.getText(source)) && tag !== "sql") out.push({ file, kind: `template tagged ${tag}`, text: node.getText(source) })
      // Substitutions of a sql template are parameters: look inside them only.
      if (ts.isTemplateExpression(node.template)) node.template.templateSpans.forEach((s) => visit(s.expression))
      return
    }
    if (ts.isTemplateExpression(node) && SQL_WORDS.test(node.getText(source))) {
      out.push({ file, kind: "untagged template building SQL", text: node.getText(source) })
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && SQL_WORDS.test(node.getText(source)) &&
      [node.left, node.right].some((side) => ts.isStringLiteral(side) || ts.isTemplateLiteral(side))) {
      out.push({ file, kind: "string concatenation building SQL", text: node.getText(source) })
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ["unsafe", "literal", "raw"].includes(node.expression.name.text)) {
      const receiver = node.expression.expression.getText(source)
      // Breaker.unsafeMake and friends are not SQL; only calls on the SQL client splice text.
      if (receiver === "sql") out.push({ file, kind: `sql.${node.expression.name.text}`, text: node.getText(source) })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

describe("MariaDB adapters: every SQL statement is parameterized", () => {
  it("finds the adapters (the scan is not vacuous)", () => {
    expect(files).toEqual(expect.arrayContaining(["session-store.ts", "ledger-store.ts", "vtxo-store.ts", "packet-store.ts", "migrations.ts"]))
    const tagged = files.map((f) => (readFileSync(join(DIR, f), "utf8").match(/\bsql`/g) ?? []).length).reduce((a, b) => a + b, 0)
    expect(tagged).toBeGreaterThan(50)
  })

  it("no sql.unsafe / sql.literal / untagged SQL template / concatenated SQL outside the reviewed, constant-only splices", () => {
    const unexpected = files.flatMap(findings).filter((f) => !(ALLOWED[f.file] ?? []).some((a) => a.text === f.text))
    expect(unexpected).toEqual([])
  })

  it("the reviewed splices still exist, so the allowlist does not outlive its reasons", () => {
    for (const [file, entries] of Object.entries(ALLOWED)) {
      const found = findings(file).map((f) => f.text)
      for (const e of entries) expect(found, `${file}: ${e.why}`).toContain(e.text)
    }
  })

  it("the spliced text is constant: migration DDL has no substitutions, packet columns are an object literal of plain names", () => {
    const migrations = ts.createSourceFile("m.ts", readFileSync(join(DIR, "migrations.ts"), "utf8"), ts.ScriptTarget.Latest, true)
    const substituted: Array<string> = []
    const walk = (n: ts.Node): void => {
      if (ts.isTemplateExpression(n) && !ts.isTaggedTemplateExpression(n.parent)) substituted.push(n.getText(migrations).slice(0, 80))
      ts.forEachChild(n, walk)
    }
    walk(migrations)
    expect(substituted).toEqual([])

    const packets = ts.createSourceFile("p.ts", readFileSync(join(DIR, "packet-store.ts"), "utf8"), ts.ScriptTarget.Latest, true)
    let columns: ReadonlyArray<string> | undefined
    const find = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && n.name.getText(packets) === "packetColumns" && n.initializer !== undefined && ts.isArrowFunction(n.initializer)) {
        let body: ts.Node = n.initializer.body
        while (ts.isParenthesizedExpression(body)) body = body.expression
        if (ts.isObjectLiteralExpression(body)) {
          columns = body.properties.map((p) => (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) ? p.name.text : `<not a plain name: ${p.getText(packets)}>`))
        }
      }
      ts.forEachChild(n, find)
    }
    find(packets)
    expect(columns).toBeDefined()
    for (const c of columns!) expect(c).toMatch(/^[a-z_][a-z0-9_]*$/)
  })
})
