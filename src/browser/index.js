// wsmesh/browser: the public entry point; types in index.d.ts.
export { connectMesh, MeshClientError } from './mesh-client.js';
export { MeshCloseCode } from './close-codes.js';
