/** Parts of the benchmark that can be run alone with `--only=a,b`. */
export const SECTIONS = ['micro', 'http', 'cold-start', 'memory', 'redis'] as const
export type Section = (typeof SECTIONS)[number]

/** How long and how much each part measures; `--quick` shrinks everything for a smoke run. */
export interface BenchSettings {
  quick: boolean
  markdown: boolean
  sections: ReadonlySet<Section>
  /** Rounds of each micro benchmark; the figure kept is the median over rounds. */
  microRounds: number
  /** tinybench time budget per task and round, in ms. */
  microTimeMs: number
  /** Processes of each HTTP app, one after another (each with the apps it is compared to). */
  httpProcesses: number
  /** Rounds of each HTTP app's process, alternating with the apps it is compared to. */
  httpRounds: number
  /** Seconds per autocannon run, and of the warm-up run before the first round. */
  httpSeconds: number
  httpWarmupSeconds: number
  /** Keep-alive connections of autocannon. */
  connections: number
  /** Concurrent requests of the cold start. */
  coldRequests: number
  /** Distinct tokens verified by the memory benchmark. */
  memoryTokens: number
}

const USAGE = `usage: pnpm bench [--quick] [--markdown] [--only=${SECTIONS.join(',')}] [--tokens=N]
  --quick      smoke run: short measurements, 50,000 tokens in the memory run (under a minute)
  --markdown   print the result tables in Markdown (for BENCHMARKS.md)
  --only=...   run only these sections
  --tokens=N   distinct tokens for the memory benchmark (default 1,000,000; 50,000 with --quick)`

/** Reads the command line; prints the usage and exits on anything unknown. */
export function parseSettings(argv: readonly string[]): BenchSettings {
  let quick = false
  let markdown = false
  let sections: Set<Section> = new Set(SECTIONS)
  let tokens: number | undefined
  for (const arg of argv) {
    if (arg === '--') continue
    if (arg === '--quick') quick = true
    else if (arg === '--markdown') markdown = true
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',')
      if (!names.every((name): name is Section => (SECTIONS as readonly string[]).includes(name))) usage(arg)
      sections = new Set(names as Section[])
    } else if (arg.startsWith('--tokens=')) {
      tokens = Number(arg.slice('--tokens='.length))
      if (!Number.isSafeInteger(tokens) || tokens < 1) usage(arg)
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else usage(arg)
  }
  return {
    quick,
    markdown,
    sections,
    microRounds: quick ? 1 : 5,
    microTimeMs: quick ? 250 : 1000,
    // Many short rounds: the paired ratios compare runs seconds apart, and a median of 30 shrugs off a
    // disturbed round or two. 5 rounds of 3 s swung by ±0.1 on the quiet machine, and 15 of 1 s still by
    // ±0.05 (the empty-middleware rows, which run no plexauth code, over four runs: see BENCHMARKS.md).
    // The 30 are spread over three processes of each app: two processes of the same app, pinned to the
    // same CPU and collecting garbage on their main thread, still differ by up to a few percent in CPU per
    // request (where V8 placed and when it optimised the code), a difference a single process would carry
    // into every round.
    httpProcesses: quick ? 1 : 3,
    httpRounds: quick ? 1 : 10,
    httpSeconds: 1,
    httpWarmupSeconds: quick ? 0.5 : 2,
    connections: 50,
    coldRequests: 1000,
    memoryTokens: tokens ?? (quick ? 50_000 : 1_000_000),
  }
}

function usage(arg: string): never {
  console.error(`bench: unknown argument ${arg}\n${USAGE}`)
  process.exit(2)
}
