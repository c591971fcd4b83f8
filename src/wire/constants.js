// @ts-check
/** Constants of the wsmesh.v2 wire protocol, shared by nodes and browser peers. */

/** The WebSocket subprotocol of the secure mesh. A peer offering only `wsmesh.v1` is refused (close 4003). */
export const MESH_SUBPROTOCOL = 'wsmesh.v2';
/** The subprotocol of the old, unencrypted protocol: recognised only to tell such peers why they are refused. */
export const LEGACY_SUBPROTOCOL = 'wsmesh.v1';
/** Version carried in hello. */
export const MESH_PROTOCOL_VERSION = 2;

/** The Noise protocol every link runs before anything else. */
export const NOISE_PROTOCOL = 'Noise_XXpsk3_25519_ChaChaPoly_SHA256';
/** Noise prologue: binds the handshake to this protocol and version (both sides must use the same). */
export const NOISE_PROLOGUE = 'wsmesh.v2 noise';
/** Prefix of the bytes an identity key signs to vouch for a Noise static key (cf. libp2p's "noise-libp2p-static-key:"). */
export const STATIC_KEY_SIGNATURE_PREFIX = 'wsmesh-noise-static-key:';

/**
 * PSK derivation. With a secret: scrypt(secret, salt = SHA-256(PSK_SALT_PREFIX + mesh), N, r, p), 32 bytes;
 * with no secret ("open mesh"): SHA-256(OPEN_MESH_PSK_PREFIX + mesh), a public value.
 * N = 2^15, r = 8, p = 1: 32 MiB and roughly 0.1 s per guess on a current CPU core.
 */
export const PSK_SALT_PREFIX = 'wsmesh-psk-salt:';
export const OPEN_MESH_PSK_PREFIX = 'wsmesh-open-mesh-psk:';
export const PSK_SCRYPT_PARAMS = Object.freeze({ N: 1 << 15, r: 8, p: 1, dkLen: 32 });
/** Secrets shorter than this are refused. */
export const MIN_SECRET_LENGTH = 12;

/** An id is the first ID_BYTES bytes of SHA-256(identity public key), lower-case hex (128 bits, 32 characters). */
export const ID_BYTES = 16;

/**
 * WebSocket close codes of wsmesh.v2 (RFC 6455 reserves 4000-4999 for applications). Every one of them is
 * sent before the link was established, except `Duplicate`, which may also replace a live link of the same key.
 */
export const MeshCloseCode = Object.freeze({
  /** A message that is not valid wsmesh.v2 (or fails to decrypt after the handshake). */
  BadMessage: 4000,
  /** The Noise handshake failed: the peer's mesh secret (PSK) differs, or its identity proof is invalid. */
  AuthFailed: 4001,
  /** The peers belong to different meshes. */
  WrongMesh: 4002,
  /** The peers speak incompatible protocol versions (e.g. a wsmesh.v1 peer). */
  IncompatibleVersion: 4003,
  /** The node reached itself (same key on both ends). The dialer never dials that address again. */
  SelfConnection: 4004,
  /** The handshake did not finish in time. */
  HandshakeTimeout: 4005,
  /** The node already has `maxPeers` connections. */
  TooManyPeers: 4008,
  /** The pair already has a connection; this one is closed (or an older one of the same key is replaced). */
  Duplicate: 4009,
});

/**
 * Noise messages are at most 65535 bytes. A mesh message travels as one or more Noise transport messages,
 * each in its own binary WebSocket message; the plaintext of each starts with a flags byte (FRAGMENT_MORE:
 * more fragments of the same mesh message follow). A fragment carries at most MAX_FRAGMENT_PLAINTEXT bytes
 * of the mesh message.
 */
export const FRAGMENT_MORE = 0x01;
export const MAX_FRAGMENT_PLAINTEXT = 65535 - 16 - 1;
/**
 * Flags byte of a batch: several whole mesh messages in one Noise transport message, each as a record of one
 * flags byte (0x00 text, 0x02 binary), its length (2 bytes, big-endian) and its bytes. Sent only to a peer whose
 * hello says `batch: true`.
 */
export const FRAGMENT_BATCH = 0x04;
/** Bytes a record of a batch adds to its message. */
export const BATCH_RECORD_HEADER = 3;
/** Most bytes one handshake message may carry (a hello at every field limit fits). */
export const MAX_HANDSHAKE_MESSAGE = 65535;

/** Limits of the fields of mesh messages, in characters (ids, names, meshes) or entries. */
export const MAX_ID_LENGTH = 128;
export const MAX_NAME_LENGTH = 256;
export const MAX_LISTEN_URLS = 32;
export const MAX_URL_LENGTH = 512;
