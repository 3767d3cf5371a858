import autocannon from 'autocannon'

// The load generator, in a process of its own: the benchmark process then spends its CPU time on the
// servers alone, so that `process.cpuUsage()` there measures the server's CPU time per request.
export interface LoadRequest {
  id: number
  url: string
  connections: number
  duration: number
  headers: Record<string, string>
}

export interface LoadAnswer {
  id: number
  error?: string
  result?: { duration: number; errors: number; non2xx: number; ok: number; p50: number; p99: number }
}

process.on('message', (message: LoadRequest) => {
  const { id, url, connections, duration, headers } = message
  autocannon({ url, connections, duration, headers }).then(
    (result) => {
      const answer: LoadAnswer = {
        id,
        result: {
          duration: result.duration,
          errors: result.errors,
          non2xx: result.non2xx,
          ok: result['2xx'],
          p50: result.latency.p50,
          p99: result.latency.p99,
        },
      }
      process.send?.(answer)
    },
    (err: unknown) => process.send?.({ id, error: String(err) } satisfies LoadAnswer),
  )
})
