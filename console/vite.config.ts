import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

// Built into dist/console and served by the HTTP app under /console/ (apps/http/console.ts).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true
  }
})
