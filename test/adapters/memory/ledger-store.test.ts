import { layer } from "../../../adapters/memory/ledger-store.js"
import { ledgerStoreContract } from "../../contracts/ledger-store.js"

ledgerStoreContract("memory", layer)
