import { createFakePlex } from '@plexauth/testing'
import { runMicro } from './micro.js'
import { parseSettings } from './settings.js'
const plex = await createFakePlex({ keyCount: 1 })
const s = parseSettings(process.argv.slice(2))
const t = performance.now()
const r = await runMicro(plex, s)
console.log(r, performance.now() - t)
await plex.close()
