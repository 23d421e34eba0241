import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

const root = fileURLToPath(new URL("../..", import.meta.url))

/**
 * Runs `examples/<name>` the way its header says (tsx, package imports resolved
 * through relaygate's `exports` with the source condition) and returns the JSON
 * line it prints last.
 */
export const runExample = (name: string, env: Record<string, string> = {}) =>
  Effect.async<unknown, Error>((resume) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", "--conditions=relaygate-source", `examples/${name}`],
      { cwd: root, env: { ...process.env, ...env }, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) return resume(Effect.fail(new Error(`examples/${name} failed: ${error.message}\n${stderr}`)))
        const last = stdout.trim().split("\n").at(-1) ?? ""
        try {
          resume(Effect.succeed(JSON.parse(last)))
        } catch {
          resume(Effect.fail(new Error(`examples/${name} printed no JSON result:\n${stdout}\n${stderr}`)))
        }
      }
    )
    return Effect.sync(() => child.kill())
  })
