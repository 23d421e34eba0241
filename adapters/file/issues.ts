import { ParseResult } from "effect"

/** A decode failure as one line: `[3].hotkey: must be …; [7].validatorPermit: Expected boolean, …`. */
export const describeIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map(({ message, path }) => {
      const where = path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")
      return where === "" ? message : `${where}: ${message}`
    })
    .join("; ")
