import { layer } from "../../../adapters/memory/invoice-store.js"
import { invoiceStoreContract } from "../../contracts/invoice-store.js"

invoiceStoreContract("memory", layer)
