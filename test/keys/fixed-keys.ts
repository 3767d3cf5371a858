import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

// Keys of the kinds Plex does not use (RSA, EC, X25519), for tests that check they are refused, fixed here
// and parsed from PEM instead of made with generateKeyPairSync: on Node 20 a key from a key generation job
// can deadlock the process when it is exported or used while a garbage collection destroys that job (the
// job's destructor takes the key's mutex, held by the export; see packages/core/src/jwt/ed25519-key.ts). A
// key parsed from text shares its mutex with no job (Ed25519 test keys come from core's generateEd25519KeyPair).
// Test keys only: public, and never used for anything else.

const PEM = {
  rsa2048: [
    '-----BEGIN PRIVATE KEY-----',
    'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCpivbjJCQd7ntn',
    '2FSywFMRfV8rlENv1+/6Xwz9Pnju/p0bL+eQIjBZDFyfF3dWLQEau5HnYlNyvwyo',
    'ebh+004RlcTutzvzFejD6UTyJKDAnh/EfsmejL6zUe6JIi+J2TvIifErDAbxZlyw',
    'Jn68HIy4D2Y+FIBzNdorYbMPDeoQBtMJuStsx6ZxU2JSH6gu5/n612uDr72LvyOr',
    'Sx/dQ2jzEzgFVNox9DE7MFgAx9LIJIuuHKiU0NV9ZjgVIqSWzZHI+R6VJbh1Iorf',
    'gHzHO5l0qUrtfm/dOesFRLacdWwmNyiN/ilUJOD3lHTm8vOJJ1pQAdpQfU2n1H3/',
    '/0BFISWFAgMBAAECggEAB2xXP93T+zLqWJzH8cikCnRZD6Uoju1sBP2wg0EL1fkB',
    'Cd2/CSUTq75z3ev1QWk4iGiO7GWpd8qmJC7dW8FmngEwk9W8ssZYwFH55Xk7+zSh',
    'LIvZlsI2Uk8jmM6an4txOugeDokZBh/gR77AibEQhAZgLv0otgKoW5uZCOJ00/Oj',
    '294w2QSP3hecTrkv73OvENHtxi80Ge8yMSSZ9G96gbbhQK403sNTFnnS5U8ZHAdU',
    '5v0xctcRT0ew3CK21nkeosQ/erDLcrPmqba7+483Jxk9E1R7fQpJPCp5v+RELrab',
    '0mN9zFEpK72o6eTw/XLFH0KZswX6JK9f4wfB82oEYQKBgQDeXzYqVNayTvTZE7rP',
    'gbGcF4GX46hyLOKkpFYitc4LLLEFNL3PfenRqYflVseVaZyBF6KQRe/ruoDiVJYl',
    'mz4bvTVY6hMMKMY3e/po1Jkmsy5fFFpDr+xLoWG/o9+5reLTdtRzGTt1e3D4Tij/',
    '1vY6PJMAmfoeS+TzCq9odlWdpQKBgQDDLo4zDtlqVxkDyZImO5guaDavul3xJdW6',
    'EjQGQVv4xR9Ubiu/GaPMKGec6MPFqooeCPRYCCx2BHy3kgHdufWcv7tq3re/91Mk',
    '3/Ukkt27I8LN/9sScNCkfj6R7aHRxMrjU8rxkjn13gOxvOBNR0nM8ARO5m2Gwhl3',
    'v+qyRdaiYQKBgQDLQxqezRfGuxdiSX+L58/yjyX9MbKqUs8EkdbOOYLSghJ5YMFT',
    'pZOR+zXl81HSCExvT6xf1h29Sqg+ufTZATNfZa8azDOG/Mpasy+snRA06LotXMw5',
    'bNhANY7E/sUk04Yvp0IAx4KrG5+iyMb/PH2rs+znMtgG03a+lfjKMsiFpQKBgQC0',
    '6Q0CxEu/JjXYbdhaObinow61OO/kGeaNTlwMRD6ESentLyS7P3+0Nus65AC50YWt',
    'qy0X/5N+XFBhMiMqqje+73Q+7WqxswPM1Qz6tmpxEAd7OyCKaijpnt5OEk2ACoDn',
    'zn34BUpV20/fSas51c7Q9tN3cluooXZLqYZXcSYtYQKBgEHyAQYoqLOJrDrmscBs',
    '3/ltt+GWWunsmpBbQH2U5z0q044X3DDYcP956cnDGlDglctwkcFy6a/zzOgUzY91',
    'kRA91wil6T6Bwp1iZcyvhl3zEfsPpulIibI0hbR/KF28vTqNtGdkKeYCqU8wFECJ',
    'WBIDtCibS1/yhUXybFSbW11N',
    '-----END PRIVATE KEY-----',
  ],
  rsa2048Other: [
    '-----BEGIN PRIVATE KEY-----',
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCzp3ax1ktw6Nt/',
    '2ZOrfvx/myzGGOLc51yttN0hGUqy+0NuxoT0E9foinjyeaVdtrFFst8SHBgnkq80',
    '0eiC5swSyaAeERLEsNER/Xi392rTEDT3RBfJu49h8/fU9wyfsJd76DO8nkkaFheb',
    'QyFKIyFICIeNvSmBmeF1F9pBxkQQtu5hwyl8sWdHZ4t1pdbw4qib/DsJngDBnWtQ',
    'carzksNrb/zEl6eeR2g8E6qkAUKev6/2nwjDa5FwXSA/AbJcR9IZtoVScCF44lSU',
    '8SwxCdHZq34oSASPfqHsU9Kj4+USAHC+PY1G4k70ICf95595KRDXzirRBzIzIRC4',
    '7BHaQ/EzAgMBAAECggEATSP4mubtsNdDvPODbW2S5QYP5SW1b+4mRO42zyoJga3T',
    'KCM03osQt+iRg2hJYeJ63vctwpxuoLti4PbK9D4+3UhXKOHi4bMcqrFgXvntlCBO',
    '5eeGoVgYepJj1b2Y3Y7ZlNpBMNn0gK+Axmm+RxOrjD8hWXKiemRFQ16RGJIWEuiJ',
    'aH11mWwJJAvEotGmPUOCBfHaJLawSkwIPRl+ME79Nhf6/u+8ZLXdrGWLvnurIyTZ',
    'YbN6smPi1epypXED0HsqgUSmvbhSqWQKdb257WhyDm/GcnXwUjoxJLIKwC0PtOU6',
    'GXMl/IznjNZTIVyolp+St63IJihhpnUvgjc45766sQKBgQDYgPL/W98Iiheq+E4V',
    '8sdlzp0DWY1nVTX7NCLf5dMYg8oIoOO5EvHEPvuUInt6/jo/w3LD35Yoab1vAQE4',
    'Ux18wDpG4c7ZReRVhg+q0ihT/I4FLc1bouZEVR6fMDwrKzJvxJdbccQf/pSVptU7',
    'LT/eBS8J+QgS105qvFfFFv+RowKBgQDUbZWlXVghXCHFRkeCocymPDMnhqWTPfW6',
    'H9AKBZdoYFEB9qNCF/F0Pn3vNv/BCthRc2xYodGo/86yctZEk3rAuqM2MvWeaC1a',
    'azhsUFzi8szDYLgauWaIQfFKcpHcsuRft2oq1JPeWeSiNDaYNjQaEk1T6CvPSoMp',
    'bbXH8Z27MQKBgFRuhVVcqLAV2oEMcLdShLyJROZHiEOiEXkzrd4PLLHEw4d15xkH',
    '8E0OGuJ8SBeBCYpQWHNWwKJmCkA97hHfKAK8nH2EFjzZauCHdZiyeJO4TFJsuEdi',
    'UdaYM2b1UqGrKPI5gqVgypGHoL5z33hCf0PAVcXX3nQqjyRE6x2riGNtAoGAfLD6',
    'hz+8jJBtDkRLk4VwACAUEt55cG2NQLyNvGQ91Lm8sz9X42L0izxnZbRN+b1o7p6m',
    '+Xu6+s11QdAgr8413s1vIlBVVq9l9846J3Igo+LLiN/MEXvEkLTMctu/fOHRJdIe',
    '0pdHWNxBVWj6puwiNy+JDniYxqvBQ98vNfdAk/ECgYEAlLOWZdXfW8+1gh9NeSwH',
    'mxNTrl1zE41ykMp8GWS8V6t/vBXopL5hxvekKkNwt7/dt33bNwik4/gBYpgsCmig',
    '1nDdSqloaCJd/IQpO+bKaqOZL9+mWowwWI50s7xmynFY9eRLKRCvdq3i5lu4ZzOB',
    'B7/M72uOJ/PIy4mjVXn8waQ=',
    '-----END PRIVATE KEY-----',
  ],
  rsa1024: [
    '-----BEGIN PRIVATE KEY-----',
    'MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALbogL0mIv/XUu1q',
    'tcTwCqtxwZ4LfxPAMTOLIc9/55aASKQ/Tq96Wv6rL7NsUKIKH/gyQUwfofQ4oPkU',
    'ut20LLNWj8gY0k47Vo835s3wrhAvElImFlDHILfG+S4gMsUh/fmsOUbEAX6oqb1r',
    'uVl7X6oQhIKQEHd18TH2kKZZnnjdAgMBAAECgYASBsohWi/a3SLcKUcu2KWEjhqR',
    '8/obPTbcKJs1cxqk95GxNlgP7VQog0CZQ1STE8Jg2LscwIVap3Yd9lAQZ6B8BaE7',
    'VyUDPkG3iyhEK6uw47eDWVDswg5u79MJH1z29tm2GUe5M/LS6uOh1qsxOdRc5SGW',
    'zg80bI43ykqbkiBZwQJBAN6y8mZKFz2Xj/S9eB4GtQ/rx8eH1OSkfhq/9BoDuA9A',
    '3iIsEahfoJ6UFQ9fthSa4nJOc4Ua/QMk2eIGukKv0q0CQQDSQlcW6Z8Pn3S0Z7UH',
    'GIe77dxC4XnTD09DbkKHoIMSofW6abIMnBYDzPBda0elfKfZ4bgE5Pida2x4zG9A',
    'RjTxAkEAkRVz5kAOtAmxt3hYcPddrmmlVdCgWfTwUu0LUodpukZAcXLUbiUetzEy',
    'JznrnbDqJh4GFIlonEu9xwsq/ZceYQJAZRD6Z8sYaBwPrwACpkyGQjFNpOBY/Ljp',
    'MtJ3LFZdasFrKpXPvfvxIRaLm3wLzmIjFLpJCCE/1/thApfSCiU1IQJBAJrSbf6Z',
    '2vhYFYa4nDkBu6ZQGOASU4SNL9GZHgI8a1t50Fe4HgCvkYhbrS0KqD84qjMXvjam',
    'Yi5eZsf8Fd50vP8=',
    '-----END PRIVATE KEY-----',
  ],
  ecP256: [
    '-----BEGIN PRIVATE KEY-----',
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgC2HePvbEjemgm8WT',
    'j5xkOqo4+dUhdWRiH+EQz5FuFAahRANCAASkHwx2fgdNjl0HxfN4D0YT2eGOxyUj',
    'DSY6yPZdrAibi13PW7atJ6xQz5L0CWR3PcXYXenq8X1FRF/zc/0cXv4e',
    '-----END PRIVATE KEY-----',
  ],
  x25519: [
    '-----BEGIN PRIVATE KEY-----',
    'MC4CAQAwBQYDK2VuBCIEIAifJ58q/t5noQJdt85oi0NnSCoTP8e4kE7Vp29FfDd7',
    '-----END PRIVATE KEY-----',
  ],
} as const

/** A test key pair; its private half parsed from a fixed PEM. */
export interface TestKeyPair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

/**
 * A fixed key pair of a kind Plex does not sign with: RSA (2048 bits, a second 2048-bit one, 1024 bits), EC
 * P-256 or X25519. The same key on every call.
 *
 * @example
 * ```ts
 * const { privateKey } = fixedKeyPair('rsa2048')
 * ```
 */
export function fixedKeyPair(kind: keyof typeof PEM): TestKeyPair {
  const privateKey = createPrivateKey(PEM[kind].join('\n'))
  return { privateKey, publicKey: createPublicKey(privateKey) }
}
