import { parentPort } from "node:worker_threads"

/** A verifier thread that starts, takes one request and dies without answering (verify-pool tests). */
parentPort?.once("message", () => process.exit(3))
parentPort?.postMessage("ready")
