import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

const root = fileURLToPath(new URL("../..", import.meta.url))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const address = s.address()
      s.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

/**
 * The bundled app in its own process, as `npm start` runs it (load must come
 * from another process or it shares the event loop it measures).
 */
export const appProcess = (env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const port = await freePort()
      const child = spawn(`${root}node_modules/.bin/tsx`, ["apps/cli.ts", "serve"], {
        cwd: root,
        env: { PATH: process.env["PATH"] ?? "", PORT: String(port), LOG_LEVEL: "warn", ...env },
        stdio: ["ignore", "ignore", "inherit"]
      })
      const url = `http://127.0.0.1:${port}`
      for (let i = 0; i < 200; i++) {
        const up = await fetch(`${url}/health`).then((r) => r.ok, () => false)
        if (up) return { url, child }
        await new Promise((r) => setTimeout(r, 100))
      }
      child.kill("SIGKILL")
      throw new Error("the app did not start")
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGTERM"))
  )
