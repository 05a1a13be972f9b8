// `npm run serve` runs this before `prisma migrate deploy`: the server's own
// start checks (src/start-checks.ts), so bad settings or an unwritable data
// folder are refused before a migration touches the database.
import { checkedConfigOrExit } from '../start-checks.js'

checkedConfigOrExit()
