import { describe, expect, test } from 'vitest'
import { parseFriends } from '../src/plex-tv/friends-xml.js'

const MID = 'abc123def456'

/** plex.tv's `/api/users` answer, as Overseerr and python-plexapi read it. */
const PLEX_TV_SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer friendlyName="myPlex" identifier="com.plexapp.plugins.myplex" machineIdentifier="f00" totalSize="3" size="3">
  <User id="1001" title="Alice &amp; Bob" username="alice" email="alice@example.com" recommendationsPlaylistId="" thumb="https://plex.tv/users/x/avatar?c=1" protected="0" home="0" allowTuners="0" allowSync="1" allowCameraUpload="0" allowChannels="0" allowSubtitleAdmin="0" filterAll="" filterMovies="" filterMusic="" filterPhotos="" filterTelevision="" restricted="0">
    <Server id="7" serverId="8" machineIdentifier="${MID}" name="Basement" lastSeenAt="1556281940" numLibraries="3" allLibraries="1" owned="1" pending="0"/>
    <Server id="9" serverId="10" machineIdentifier="other" name="Attic" lastSeenAt="1556281940" numLibraries="1" allLibraries="0" owned="1" pending="0"/>
  </User>
  <User id="1002" title="carol" username="carol" email="" restricted="1">
    <Server id="7" serverId="8" machineIdentifier="other" name="Attic" owned="1" pending="0"/>
  </User>
  <User id="1003" title="dave" username="dave">
    <!-- an invitation not yet accepted -->
    <Server id="7" serverId="8" machineIdentifier='${MID}' name="Basement" owned="1" pending="1"/>
  </User>
  <User id="1004" title="erin" username="erin"></User>
</MediaContainer>
`

describe('the friends list (GET /api/users, XML)', () => {
  test('users with an accepted share of the server, and only them', () => {
    expect(parseFriends(PLEX_TV_SAMPLE, MID)).toEqual([1001])
    expect(parseFriends(PLEX_TV_SAMPLE, 'other')).toEqual([1001, 1002])
    expect(parseFriends(PLEX_TV_SAMPLE, 'nowhere')).toEqual([])
  })

  test('attribute values are decoded before they are compared', () => {
    const xml = `<MediaContainer><User id="5"><Server machineIdentifier="a&amp;b&#x41;&#66;"/></User></MediaContainer>`
    expect(parseFriends(xml, 'a&bAB')).toEqual([5])
    expect(parseFriends(xml, 'a&amp;b&#x41;&#66;')).toEqual([])
  })

  test('Servers outside a User, Users deeper down and bad ids grant nothing', () => {
    const xml = `<MediaContainer>
      <Server machineIdentifier="${MID}"/>
      <Group><User id="6"><Server machineIdentifier="${MID}"/></User></Group>
      <User id="abc"><Server machineIdentifier="${MID}"/></User>
      <User id="007"><Server machineIdentifier="${MID}"/></User>
      <User id="99999999999999999"><Server machineIdentifier="${MID}"/></User>
      <User><Server machineIdentifier="${MID}"/></User>
      <User id="8"><Device><Server machineIdentifier="${MID}"/></Device></User>
    </MediaContainer>`
    expect(parseFriends(xml, MID)).toEqual([])
  })

  test('an empty list', () => {
    expect(parseFriends('<MediaContainer size="0"/>', MID)).toEqual([])
    expect(
      parseFriends('\ufeff<?xml version="1.0"?>\n<MediaContainer size="0">\n</MediaContainer>\n', MID),
    ).toEqual([])
  })

  test.each([
    ['a DOCTYPE (entity declarations)', '<!DOCTYPE x [<!ENTITY e "1001">]><MediaContainer/>'],
    ['CDATA', '<MediaContainer><![CDATA[<User id="1"/>]]></MediaContainer>'],
    [
      'an unknown entity',
      `<MediaContainer><User id="1"><Server machineIdentifier="&mid;"/></User></MediaContainer>`,
    ],
    ['a bare ampersand', '<MediaContainer a="x & y"/>'],
    ['a bad character reference', '<MediaContainer a="&#0;"/>'],
    ['a surrogate reference', '<MediaContainer a="&#xD800;"/>'],
    ['a mismatched end tag', '<MediaContainer><User id="1"></Server></MediaContainer>'],
    ['an unterminated element', '<MediaContainer><User id="1">'],
    ['two root elements', '<MediaContainer/><MediaContainer/>'],
    ['another root element', '<Users><User id="1"/></Users>'],
    ['text outside the root', 'hello<MediaContainer/>'],
    ['JSON', '{"MediaContainer":{}}'],
    ['nothing', ''],
    ['a repeated attribute', '<MediaContainer><User id="1" id="2"/></MediaContainer>'],
    ['an unquoted attribute', '<MediaContainer><User id=1/></MediaContainer>'],
    ['a < in an attribute', '<MediaContainer a="<"/>'],
    ['a broken tag', '<MediaContainer><User id="1"</MediaContainer>'],
    ['an unterminated comment', '<MediaContainer><!-- </MediaContainer>'],
    ['nesting too deep', `<MediaContainer>${'<a>'.repeat(20)}${'</a>'.repeat(20)}</MediaContainer>`],
  ])('refuses %s', (_name, xml) => {
    expect(() => parseFriends(xml, MID)).toThrow()
  })

  const attributes = (count: number) => Array.from({ length: count }, (_, i) => ` a${i}="${i}"`).join('')
  test.each([
    ['a processing instruction inside the root', '<MediaContainer><?pi x?></MediaContainer>', /misplaced/],
    ['a processing instruction after the root', '<MediaContainer/><?pi x?>', /misplaced/],
    ['an unterminated processing instruction', '<?xml version="1.0"', /unterminated processing/],
    ['a tag without a name', '<MediaContainer>< User id="1"/></MediaContainer>', /bad tag/],
    ['65 attributes on one element', `<MediaContainer${attributes(65)}/>`, /too many attributes/],
    ['200,001 elements', `<MediaContainer>${'<U/>'.repeat(200_000)}</MediaContainer>`, /too many elements/],
    ['a DOCTYPE', '<!DOCTYPE MediaContainer><MediaContainer/>', /DOCTYPE and CDATA/],
    ['CDATA inside the root', '<MediaContainer><![CDATA[x]]></MediaContainer>', /DOCTYPE and CDATA/],
    [
      '17 elements open at once',
      `<MediaContainer>${'<a>'.repeat(16)}${'</a>'.repeat(16)}</MediaContainer>`,
      /nested too deeply/,
    ],
  ])('refuses %s, saying why', (_name, xml, message) => {
    expect(() => parseFriends(xml, MID)).toThrow(message)
  })

  test('up to the limits: 64 attributes on an element, 200,000 elements, 16 elements open at once', () => {
    const deepest = `<MediaContainer>${'<a>'.repeat(15)}<User id="3"/>${'</a>'.repeat(15)}</MediaContainer>`
    expect(parseFriends(deepest, MID)).toEqual([])
    expect(parseFriends(`<MediaContainer${attributes(64)}/>`, MID)).toEqual([])
    expect(parseFriends(`<MediaContainer>${'<U/>'.repeat(199_999)}</MediaContainer>`, MID)).toEqual([])
    expect(parseFriends(`<MediaContainer a="" b=''/>`, MID)).toEqual([])
  })
})
