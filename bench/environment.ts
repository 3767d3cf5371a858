import { cpus, loadavg, platform, release, totalmem } from 'node:os'

/** What the numbers were measured on, and how busy the machine was (load averages at start and end). */
export interface Environment {
  node: string
  cpu: string
  cores: number
  os: string
  memoryGiB: number
  loadStart: number[]
  loadEnd: number[]
  date: string
}

export function captureEnvironment(): Environment {
  const list = cpus()
  return {
    node: process.version,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    os: `${platform()} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadStart: loadavg(),
    loadEnd: [],
    date: new Date().toISOString().slice(0, 16).replace('T', ' '),
  }
}

export function finishEnvironment(environment: Environment): Environment {
  return { ...environment, loadEnd: loadavg() }
}
