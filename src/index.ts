// The one error tree: every error has a stable `code` (docs/api.md lists them).
export { WsmeshError, WsmeshOptionError, MeshStateError, MeshReadyError, MeshKeyFileError } from './errors.ts';

// The codec, sans-I/O: bytes in, events and bytes out.
export { Protocol } from './protocol/protocol.ts';
export type { ProtocolHandler, ProtocolOptions, ProtocolState, Role, BinaryData } from './protocol/protocol.ts';
export { CloseCode, Opcode, isValidWireCloseCode, DEFAULT_MAX_PAYLOAD, FRAGMENT_COST } from './protocol/constants.ts';
export { WsHandshakeError, WsLimitError, WsProtocolError, WsStateError } from './protocol/errors.ts';
export { maskInto, unmaskInPlace } from './protocol/mask.ts';

// The opening handshake, sans-I/O.
export { computeAcceptKey, generateKey } from './handshake/accept-key.ts';
export { HttpRequestParser, HttpResponseParser } from './handshake/http-head-parser.ts';
export { answerHandshake } from './handshake/server-handshake.ts';
export { requestFromIncomingMessage } from './transport/incoming-message.ts';
export type { HandshakeRequest, ServerHandshakeOptions, ServerHandshakeOutcome } from './handshake/server-handshake.ts';
export { buildClientRequest, parseWsUrl, verifyServerResponse } from './handshake/client-handshake.ts';

// Connections over sockets.
export { WebSocket } from './transport/websocket.ts';
export type { ReadyState, WebSocketEvents, WebSocketOptions } from './transport/websocket.ts';
export { WebSocketServer } from './transport/server.ts';
export type { UpgradeRequest, WebSocketServerEvents, WebSocketServerOptions } from './transport/server.ts';
export { connect } from './transport/connect.ts';
export type { ConnectOptions } from './transport/connect.ts';

// The mesh node.
export { MeshNode } from './mesh/node.ts';
export { createNode } from './node.ts';
export type { MeshNodeEvents, NodeStatus, RejectionInfo } from './mesh/node.ts';
export type { DialFailure, StaticPeerInfo } from './mesh/dial-log.ts';
export type { DisconnectReason } from './mesh/link.ts';
export type { MeshNodeOptions } from './mesh/options.ts';
export { MeshCloseCode, MeshProtocolError } from './mesh/close-codes.ts';
export { MeshSendError } from './mesh/messenger.ts';
export type { MeshSendErrorCode, MessageInfo } from './mesh/messenger.ts';
export type { AddressSource, Direction, PeerAddress, PeerInfo, PeerState } from './mesh/peer-table.ts';

// Discovery.
export { meshTag } from './discovery/discovery.ts';
export type { DiscoveredPeer, Discovery, DiscoveryEvents, LocalService } from './discovery/discovery.ts';
