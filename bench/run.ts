import { createFakePlex } from '@plexauth/testing'
import { runColdStart } from './cold-start.js'
import { captureEnvironment, finishEnvironment } from './environment.js'
import { runHttp } from './http-suite.js'
import { progress } from './log.js'
import { runMemory } from './memory.js'
import { runMicro } from './micro.js'
import { runRedisStore } from './redis-store.js'
import { type Results, renderReport } from './report.js'
import { parseSettings } from './settings.js'

// `pnpm bench [--quick] [--markdown] [--only=...]`: micro benchmarks, HTTP benchmarks, cold start,
// memory and the Redis store, against a local fake plex.tv; prints the table of ratios against the goals of issue 7.
// It reports and never asserts speed: it fails only when a benchmark crashes or a correctness check
// inside it does not hold.
const settings = parseSettings(process.argv.slice(2))
const started = performance.now()
const environment = captureEnvironment()
const plex = await createFakePlex({ keyCount: 1 })
const results: Results = { quick: settings.quick, environment }
try {
  if (settings.sections.has('micro')) {
    progress('micro benchmarks...')
    results.micro = await runMicro(plex, settings)
  }
  if (settings.sections.has('http')) {
    progress('HTTP benchmarks...')
    results.http = await runHttp(settings)
  }
  if (settings.sections.has('cold-start')) {
    progress('cold start...')
    results.coldStart = await runColdStart(plex, settings)
  }
  if (settings.sections.has('memory')) {
    progress(`memory: ${settings.memoryTokens.toLocaleString('en-US')} distinct tokens...`)
    results.memory = await runMemory(plex, settings)
  }
  if (settings.sections.has('redis')) {
    progress('Redis store against the in-process one...')
    results.redis = await runRedisStore(plex, settings)
  }
} finally {
  await plex.close()
}
results.environment = finishEnvironment(environment)
process.stdout.write(renderReport(results, settings.markdown))
progress(`bench: done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
