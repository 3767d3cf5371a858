import type { AppKeys } from './app-options.js'
import type { AppChildAnswer, AppChildRequest } from './http-suite.js'
import { STARTERS } from './http-suite.js'
import type { RunningApp } from './listen.js'

// One benchmark app in a process of its own (see runHttp): started on the first message, which names the
// framework, what protects the app and where the fake plex.tv's keys are; then answers 'cpu' with this
// process's CPU time so far, and 'close' by closing the app and exiting.
let app: RunningApp | undefined

function send(answer: AppChildAnswer): void {
  process.send?.(answer)
}

// Without the benchmark (it crashed or was killed), nothing is left to close this app: exit with it.
process.once('disconnect', () => process.exit(0))

process.on('message', (message: AppChildRequest) => {
  if (message.type === 'start') {
    const keys: AppKeys = message.keys
    STARTERS[message.framework]({ auth: message.auth, plex: keys }).then(
      (started) => {
        app = started
        send({ type: 'started', url: started.url })
      },
      (err: unknown) =>
        send({ type: 'error', error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    )
  } else if (message.type === 'cpu') {
    send({ type: 'cpu', cpu: process.cpuUsage() })
  } else {
    const closing = app?.close() ?? Promise.resolve()
    closing.finally(() => process.exit(0))
  }
})
