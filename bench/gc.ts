import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Collect = () => void

let collect: Collect | undefined

/**
 * A full garbage collection, without `node --expose-gc`: the flag is switched on at run time and `gc`
 * taken from a fresh context, where V8 installs it.
 */
export function fullGc(): void {
  if (collect === undefined) {
    const global = (globalThis as { gc?: Collect }).gc
    if (global !== undefined) collect = global
    else {
      setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as Collect
    }
  }
  collect()
  collect()
}
