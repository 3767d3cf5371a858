/**
 * A small, strict reader for the one XML document plexauth reads: plex.tv's friends list
 * (`GET /api/users`), `<MediaContainer><User id="…"><Server machineIdentifier="…" …/></User>…</MediaContainer>`.
 * Elements, attributes, comments and the XML declaration only: a DOCTYPE (and so any entity
 * declaration), CDATA, unknown entities, mismatched tags or more than the limits below are errors.
 */

const MAX_DEPTH = 16
const MAX_ATTRIBUTES = 64
const MAX_ELEMENTS = 200_000

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y
const ATTRIBUTE = /[ \t\r\n]+([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y
const TAG_END = /[ \t\r\n]*(\/?)>/y
const CLOSE = /\/([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\r\n]*>/y
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));|&/g
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

class XmlError extends Error {
  constructor(message: string) {
    super(`plexauth: unreadable friends list (${message})`)
    this.name = 'XmlError'
  }
}

function decode(value: string): string {
  if (!value.includes('&')) return value
  return value.replace(
    ENTITY,
    (match, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (named !== undefined) return NAMED[named]!
      const code = dec !== undefined ? Number(dec) : hex !== undefined ? Number.parseInt(hex, 16) : Number.NaN
      if (!Number.isInteger(code) || code < 1 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw new XmlError(`bad character reference ${match}`)
      }
      return String.fromCodePoint(code)
    },
  )
}

/** An element start as the reader sees it. */
interface OpenTag {
  name: string
  attributes: Map<string, string>
  /** Names of the enclosing elements, outermost first. */
  path: readonly string[]
}

/** Walks the elements of `xml`, calling `onOpen` for each start tag. Throws on anything outside the subset. */
export function walkXml(xml: string, onOpen: (tag: OpenTag) => void): void {
  const stack: string[] = []
  let elements = 0
  let roots = 0
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    const text = xml.slice(i, lt === -1 ? xml.length : lt)
    if (stack.length === 0 && text.trim() !== '') throw new XmlError('text outside the root element')
    if (lt === -1) break
    i = lt + 1
    if (xml.startsWith('?', i)) {
      if (stack.length > 0 || roots > 0) throw new XmlError('misplaced processing instruction')
      const end = xml.indexOf('?>', i)
      if (end === -1) throw new XmlError('unterminated processing instruction')
      i = end + 2
      continue
    }
    if (xml.startsWith('!--', i)) {
      const end = xml.indexOf('-->', i + 3)
      if (end === -1) throw new XmlError('unterminated comment')
      i = end + 3
      continue
    }
    if (xml.startsWith('!', i)) throw new XmlError('DOCTYPE and CDATA are not accepted')
    CLOSE.lastIndex = i
    const close = CLOSE.exec(xml)
    if (close !== null) {
      if (stack.pop() !== close[1]) throw new XmlError('mismatched end tag')
      i = CLOSE.lastIndex
      continue
    }
    NAME.lastIndex = i
    const name = NAME.exec(xml)?.[0]
    if (name === undefined) throw new XmlError('bad tag')
    i = NAME.lastIndex
    const attributes = new Map<string, string>()
    for (;;) {
      ATTRIBUTE.lastIndex = i
      const attribute = ATTRIBUTE.exec(xml)
      if (attribute === null) break
      const attributeName = attribute[1]!
      if (attributes.has(attributeName)) throw new XmlError('repeated attribute')
      if (attributes.size >= MAX_ATTRIBUTES) throw new XmlError('too many attributes')
      // One of the two quoted forms matched (an empty value is "", not undefined).
      attributes.set(attributeName, decode(attribute[2] ?? attribute[3]!))
      i = ATTRIBUTE.lastIndex
    }
    TAG_END.lastIndex = i
    const end = TAG_END.exec(xml)
    if (end === null) throw new XmlError('bad tag')
    i = TAG_END.lastIndex
    if (stack.length === 0 && ++roots > 1) throw new XmlError('more than one root element')
    if (++elements > MAX_ELEMENTS) throw new XmlError('too many elements')
    onOpen({ name, attributes, path: stack })
    if (end[1] !== '/') {
      if (stack.length >= MAX_DEPTH) throw new XmlError('nested too deeply')
      stack.push(name)
    }
  }
  if (stack.length > 0 || roots !== 1) throw new XmlError('unterminated document')
}

const ID = /^[1-9][0-9]{0,15}$/

/**
 * The account ids the owner's friends list shows with an accepted share of `machineIdentifier`: each
 * `<User id>` with a child `<Server machineIdentifier>` (a share still `pending="1"` does not count).
 */
export function parseFriends(xml: string, machineIdentifier: string): number[] {
  const ids = new Set<number>()
  let user: number | undefined
  walkXml(xml, ({ name, attributes, path }) => {
    if (path.length === 0) {
      if (name !== 'MediaContainer') throw new XmlError('not a MediaContainer')
      return
    }
    if (path.length === 1 && name === 'User') {
      const id = attributes.get('id')
      user = id !== undefined && ID.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : undefined
      return
    }
    if (path.length === 2 && path[1] === 'User' && name === 'Server') {
      if (
        user !== undefined &&
        attributes.get('machineIdentifier') === machineIdentifier &&
        attributes.get('pending') !== '1'
      ) {
        ids.add(user)
      }
    }
  })
  return [...ids]
}
