import { meshTag, type LocalService } from '../discovery.ts';
import { SERVICE_TYPE } from './constants.ts';
import type { OwnService } from './responder.ts';
import { encodeTxt } from './txt.ts';
import { truncateUtf8 } from '../../protocol/utf8.ts';

/** How a node appears in DNS-SD: instance name, host name and TXT record. */

const MAX_LABEL_BYTES = 63;
const MAX_TXT_STRING_BYTES = 255;

/** The first 8 characters of the id, kept to DNS-friendly characters. */
export function shortId(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toLowerCase() || 'node';
}

/**
 * Instance label `<name> (<short id>)`: readable, and unique even for nodes with the same name. Dots become
 * dashes (they would read as label separators) and control characters go.
 */
export function instanceLabel(self: Pick<LocalService, 'id' | 'name'>): string {
  const suffix = ` (${shortId(self.id)})`;
  const cleaned = self.name.replace(/[\u0000-\u001f\u007f]/g, '').replace(/\./g, '-').trim() || 'wsmesh';
  return truncateUtf8(cleaned, MAX_LABEL_BYTES - Buffer.byteLength(suffix)) + suffix;
}

/** SRV target: a host name of the node's own, so it never clashes with the machine's real `.local` name. */
export function hostLabel(id: string): string {
  return `wsmesh-${id.replace(/[^A-Za-z0-9-]/g, '').toLowerCase().slice(0, 40) || 'node'}`;
}

/** TXT keys: id, v (protocol version), mesh (meshTag of the mesh name), path (WebSocket path), name. */
export function serviceTxt(self: LocalService): Buffer {
  const entries: Record<string, string> = {
    id: self.id,
    v: String(self.version),
    mesh: meshTag(self.mesh),
    path: self.path,
  };
  entries.name = truncateUtf8(self.name, MAX_TXT_STRING_BYTES - 'name='.length);
  return encodeTxt(entries);
}

export function buildOwnService(self: LocalService, addresses: readonly string[]): OwnService {
  return {
    instance: `${instanceLabel(self)}.${SERVICE_TYPE}`,
    host: `${hostLabel(self.id)}.local`,
    port: self.port,
    txt: serviceTxt(self),
    addresses,
  };
}
