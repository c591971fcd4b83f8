/**
 * The crypto provider built only from the audited pure-JS @noble packages is the page's own
 * (src/browser/crypto-noble.js, what a page without WebCrypto uses): the wire tests prove the vectors and the
 * Node side against it as a second implementation.
 */
export { nobleCrypto } from '../../src/browser/crypto-noble.js';
