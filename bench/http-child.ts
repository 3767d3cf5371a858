import { createFakePlex } from '@plexauth/testing'
import { type HttpChildAnswer, type HttpChildRequest, runFramework } from './http-suite.js'

// One framework's HTTP benchmark in a process of its own (see runHttp), with a fake plex.tv of its own.
process.once('message', async ({ framework, settings }: HttpChildRequest) => {
  const plex = await createFakePlex({ keyCount: 1 })
  let answer: HttpChildAnswer
  try {
    answer = { result: await runFramework(plex, settings, framework) }
  } catch (err) {
    answer = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }
  } finally {
    await plex.close()
  }
  process.send?.(answer, () => process.exit(0))
})
