export * as Issues from "./issues.js"
export * as Metagraph from "./metagraph.js"
export * as Zipcodes from "./zipcodes.js"
