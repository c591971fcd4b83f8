/** mDNS (RFC 6762) and DNS-SD (RFC 6763) numbers used by the wsmesh discovery. */

export const MDNS_GROUP = '224.0.0.251';
export const MDNS_GROUP_V6 = 'ff02::fb';
export const MDNS_PORT = 5353;

/** The DNS-SD service type every wsmesh node advertises and browses. */
export const SERVICE_TYPE = '_wsmesh._tcp.local';
/** DNS-SD service type enumeration (RFC 6763 §9). */
export const SERVICE_ENUMERATION = '_services._dns-sd._udp.local';

export const RecordType = {
  A: 1,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  ANY: 255,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;
/** Top bit of the class: cache-flush in answers, unicast-response ("QU") in questions. */
export const CLASS_TOP_BIT = 0x8000;

/** RFC 6762 §10: records naming a host (SRV, A) live 120 s, the others 75 minutes. */
export const HOST_TTL = 120;
export const OTHER_TTL = 4500;
/** RFC 6762 §6.7: answers to legacy unicast queries carry at most this TTL. */
export const LEGACY_UNICAST_TTL = 10;

/** RFC 6762 §17: an mDNS message is at most 9000 bytes. */
export const MAX_MESSAGE_BYTES = 9000;
/** A message header is 12 bytes. */
export const HEADER_BYTES = 12;

/** Version of mdns-js whose bugs the work-arounds in this folder are written against. */
export const MDNS_JS_VERSION = '1.0.3';
