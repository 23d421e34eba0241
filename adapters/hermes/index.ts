export * as Cli from "./cli.js"
export * as Json from "./json.js"
export * as Rest from "./rest.js"
export * as Unavailable from "./unavailable.js"
