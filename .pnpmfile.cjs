// The `dev-source` export condition points at src/*.ts so that the workspace's tests, type checks and demos
// run on the sources without a build. Those files are not published, so the condition is removed from the
// manifest that goes into each tarball (pnpm pack and pnpm publish call this hook).
function withoutDevSource(value) {
  if (Array.isArray(value)) return value.map(withoutDevSource)
  if (value === null || typeof value !== 'object') return value
  const out = {}
  for (const [key, inner] of Object.entries(value)) {
    if (key !== 'dev-source') out[key] = withoutDevSource(inner)
  }
  return out
}

module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.exports !== undefined) pkg.exports = withoutDevSource(pkg.exports)
      return pkg
    },
  },
}
