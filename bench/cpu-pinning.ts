import { type ChildProcess, execFileSync } from 'node:child_process'

/**
 * Where the HTTP benchmark's processes run: autocannon on one CPU, every app on another. Unpinned on this
 * 2-CPU machine, the scheduler moved apps and the load generator between the CPUs as it pleased, and five
 * processes of the same app (no auth, measured in alternating rounds) came out 4 to 11 % apart (43 % once),
 * the first one warmed up always the dearest; pinned, within 5 % (BENCHMARKS.md, item 11). `undefined`: not pinned (not Linux, one
 * CPU allowed, or no `taskset`).
 */
export interface CpuPinning {
  /** The CPU of the load generator. */
  load: number
  /** The CPU of the app being measured. */
  app: number
}

let decided: { pinning: CpuPinning | undefined } | undefined

/** The pinning this machine allows, decided once from the CPUs this process may use. */
export function cpuPinning(): CpuPinning | undefined {
  if (decided !== undefined) return decided.pinning
  let pinning: CpuPinning | undefined
  if (process.platform === 'linux') {
    try {
      // "pid 123's current affinity list: 0,1" (or "0-3", "0,2-5"): the CPUs this process may use.
      const answer = execFileSync('taskset', ['--pid', '--cpu-list', String(process.pid)], {
        encoding: 'utf8',
      })
      const cpus = (answer.split(': ')[1] ?? '')
        .trim()
        .split(',')
        .flatMap((range) => {
          const [from, to = from] = range.split('-').map(Number)
          return Array.from({ length: (to ?? 0) - (from ?? 0) + 1 }, (_, i) => (from ?? 0) + i)
        })
        .filter((cpu) => Number.isSafeInteger(cpu) && cpu >= 0)
      if (cpus.length >= 2) pinning = { load: cpus[0]!, app: cpus.at(-1)! }
    } catch {
      pinning = undefined
    }
  }
  decided = { pinning }
  return pinning
}

/**
 * Pins every thread of the benchmark's child process to `cpu` (no-op without pinning). A child that cannot be
 * pinned is killed and the error thrown: an unpinned process would measure something else.
 */
export function pinProcess(child: ChildProcess, cpu: keyof CpuPinning): void {
  const pinning = cpuPinning()
  if (pinning === undefined || child.pid === undefined) return
  try {
    execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(pinning[cpu]), String(child.pid)], {
      stdio: 'ignore',
    })
  } catch (err) {
    child.kill()
    throw err
  }
}

/** How the report describes the pinning. */
export function describePinning(): string {
  const pinning = cpuPinning()
  return pinning === undefined
    ? 'processes not pinned to CPUs'
    : `each app pinned to CPU ${pinning.app}, autocannon to CPU ${pinning.load}`
}
