/** An attribute value as plex.tv writes it: booleans as `1`/`0`, `null` and `undefined` as an empty string. */
export type XmlValue = string | number | boolean | null | undefined

/**
 * One XML element: plex.tv's XML answers are elements whose fields are attributes, with child elements for
 * nested objects and lists (`<user …><subscription …/></user>`).
 */
export interface XmlElement {
  readonly tag: string
  readonly attributes?: Readonly<Record<string, XmlValue>>
  readonly children?: readonly XmlElement[]
  /** Character data inside the element (legacy `/users/account` has a few such elements). */
  readonly text?: string
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

/** Escapes text for an attribute value or character data. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!)
}

function attributeText(value: XmlValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0'
  return escapeXml(value === null || value === undefined ? '' : String(value))
}

function renderElement(element: XmlElement, indent: string): string {
  const attributes = Object.entries(element.attributes ?? {})
    .map(([name, value]) => ` ${name}="${attributeText(value)}"`)
    .join('')
  const open = `${indent}<${element.tag}${attributes}`
  const children = element.children ?? []
  if (element.text !== undefined) return `${open}>${escapeXml(element.text)}</${element.tag}>`
  // An empty list keeps its closing tag, as plex.tv writes an empty MediaContainer; a leaf closes itself.
  if (children.length === 0)
    return element.children === undefined ? `${open}/>` : `${open}>\n${indent}</${element.tag}>`
  const inner = children.map((child) => renderElement(child, `${indent}  `)).join('\n')
  return `${open}>\n${inner}\n${indent}</${element.tag}>`
}

/** A whole XML document, with plex.tv's declaration line. */
export function renderXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderElement(root, '')}\n`
}
