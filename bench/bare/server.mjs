/*
 * The floor for bench rows 3 and 4: node:http with no framework, the same two
 * request shapes, the same verifiers on one worker thread (the app's default),
 * and nothing else: no session, no store, no limits, no metrics, no log. What
 * it reaches on this machine under the same load is what any app here can
 * reach; rows 3 and 4 print it next to the app's figure.
 *
 *   POST /sessions/:id/respond {signature, user_pubkey}   BIP-340 over sha256(id)
 *   GET  /api/v1/zipcode-assignments/current?hotkey=<hex public key>&signature&timestamp
 *        sr25519 over `zipcode:assignment:current:{timestamp}`
 */
import { createHash } from "node:crypto"
import http from "node:http"
import { Worker } from "node:worker_threads"

const worker = new Worker(new URL("./verifier.mjs", import.meta.url))
await new Promise((resolve) => worker.once("message", resolve))
const pending = new Map()
let nextId = 0
let queued = []
worker.on("message", (results) => {
  for (const [id, ok] of results) {
    pending.get(id)(ok)
    pending.delete(id)
  }
})
// Requests that arrive in one turn of the event loop go to the thread in one message.
const flush = () => {
  worker.postMessage(queued)
  queued = []
}
const verify = (scheme, signature, message, key) =>
  new Promise((resolve) => {
    const id = nextId++
    pending.set(id, resolve)
    if (queued.length === 0) setImmediate(flush)
    queued.push([id, scheme, signature, message, key])
  })

const answer = (res, status, body) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}
const hex = (s) => (typeof s === "string" && /^[0-9a-f]*$/i.test(s) ? Buffer.from(s, "hex") : Buffer.alloc(0))
const RESPOND = /^\/sessions\/([^/]+)\/respond$/

http.createServer((req, res) => {
  const url = req.url ?? "/"
  const respond = req.method === "POST" ? RESPOND.exec(url) : null
  if (respond !== null) {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (c) => (body += c))
    req.on("end", async () => {
      let j
      try {
        j = JSON.parse(body)
      } catch {
        return answer(res, 400, { error: "bad json" })
      }
      const message = createHash("sha256").update(respond[1]).digest()
      const ok = await verify(0, hex(j.signature), message, hex(j.user_pubkey))
      answer(res, ok ? 200 : 401, ok ? { session_id: respond[1], status: "signed" } : { error: "invalid signature" })
    })
    return
  }
  if (req.method === "GET" && url.startsWith("/api/v1/zipcode-assignments/current?")) {
    const q = new URLSearchParams(url.slice(url.indexOf("?") + 1))
    const message = Buffer.from(`zipcode:assignment:current:${q.get("timestamp")}`)
    verify(1, hex(q.get("signature")), message, hex(q.get("hotkey"))).then((ok) =>
      answer(res, ok ? 200 : 401, ok ? { hotkey: q.get("hotkey"), zipcodes: [] } : { error: "invalid signature" })
    )
    return
  }
  answer(res, 404, { error: "not found" })
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("listening\n"))
