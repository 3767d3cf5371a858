import { defineConfig } from 'vitest/config'

// Vitest also hands these to Node as --conditions, which apply to require() too: listing 'import' would make
// CommonJS packages (Express 5's router → is-promise) load the ESM build of their dependencies.
const conditions = ['dev-source', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['dev-source'] } },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
})
