import type { Discovery } from '../discovery/discovery.ts';
import { MdnsDiscovery } from '../discovery/mdns/mdns-discovery.ts';

/** The discovery a node uses when it is given none and `mdns` is not false: DNS-SD over mDNS. */
export function createDefaultDiscovery(options: { interface?: string | undefined }): Discovery {
  return new MdnsDiscovery(options.interface === undefined ? {} : { interface: options.interface });
}
