import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

const root = fileURLToPath(new URL("../..", import.meta.url))

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const address = s.address()
      s.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

/**
 * `BENCH_PROFILE=dir` writes a V8 CPU profile of each app process to dir
 * (open it in Chrome DevTools or speedscope) to see where a row's time goes.
 */
const profileArgs = () => {
  const dir = process.env["BENCH_PROFILE"]
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`]
}

/**
 * The app in its own process, as `npm start` runs it (load must come from
 * another process or it shares the event loop it measures). Node runs tsx as
 * a loader rather than through the tsx wrapper, so there is one process to
 * signal and to profile.
 */
export interface App {
  readonly url: string
  readonly child: ChildProcess
}

/** A server in its own process on a free port, up once `up` accepts its answer to GET `probe`. */
const serverProcess = (args: ReadonlyArray<string>, env: Record<string, string>, probe: string, up: (r: Response) => boolean) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<App> => {
      const port = await freePort()
      const child = spawn(process.execPath, [...profileArgs(), ...args], {
        cwd: root,
        env: { PATH: process.env["PATH"] ?? "", PORT: String(port), ...env },
        stdio: ["ignore", "ignore", "inherit"]
      })
      const url = `http://127.0.0.1:${port}`
      // Start-up loads the whole app through tsx: a minute or more when the machine is busy.
      const deadline = Date.now() + 180_000
      while (Date.now() < deadline) {
        const ok = await fetch(`${url}${probe}`).then(up, () => false)
        if (ok) return { url, child }
        await new Promise((r) => setTimeout(r, 100))
      }
      child.kill("SIGKILL")
      throw new Error(`${args.join(" ")} did not start`)
    }),
    ({ child }) =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          // Waiting for the exit lets a CPU profile be written before the next row starts.
          child.once("exit", () => resolve())
          child.kill("SIGTERM")
          setTimeout(() => {
            child.kill("SIGKILL")
            resolve()
          }, 10_000).unref()
        })
      )
  )

export const appProcess = (env: Record<string, string> = {}) =>
  serverProcess(["--import", "tsx", "apps/cli.ts", "serve"], {
    LOG_LEVEL: "warn",
    // To compare the app's settings for it: `VERIFY_THREADS=0 npm run bench -- --row 3`.
    ...(process.env["VERIFY_THREADS"] === undefined ? {} : { VERIFY_THREADS: process.env["VERIFY_THREADS"] }),
    ...env
  }, "/health", (r) => r.ok)

/** The floor of rows 3 and 4 (bench/bare/server.mjs): node:http and the verifier thread, nothing else. */
export const bareProcess = () => serverProcess(["bench/bare/server.mjs"], {}, "/", () => true)
