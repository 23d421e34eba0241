export * as UploadGrants from "./upload-grants.js"
