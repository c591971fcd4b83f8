"""Registers a _wsmesh._tcp service with python-zeroconf, prints {"event":"registered"}, and keeps it
until stdin closes or SECONDS pass; then unregisters (goodbye) and prints {"event":"unregistered"}.

Usage: /usr/bin/python3 zeroconf_register.py INTERFACE_ADDRESS INSTANCE PORT SECONDS key=value...
With the environment variable ZC_IPV6=IFNAME[,ADDRESS...]: also over IPv6 on IFNAME, advertising those IPv6
addresses (INTERFACE_ADDRESS "-": IPv6 only).
"""
import json
import os
import select
import socket
import sys
import time

from zeroconf import ServiceInfo, Zeroconf
from zeroconf_browse import open_zeroconf

SERVICE_TYPE = "_wsmesh._tcp.local."


def main():
    address, instance, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    properties = dict(item.split("=", 1) for item in sys.argv[5:])
    ipv6 = os.environ.get("ZC_IPV6", "").split(",") if os.environ.get("ZC_IPV6") else []
    addresses = ([] if address == "-" else [address]) + ipv6[1:]
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{instance}.{SERVICE_TYPE}",
        parsed_addresses=addresses,
        port=port,
        properties=properties,
        server=f"{instance.lower().replace(' ', '-')}.local.",
    )
    zc = open_zeroconf(address, ipv6[0] if ipv6 else None)
    zc.register_service(info)
    print(json.dumps({"event": "registered"}), flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sys.stdin], [], [], 0.2)
        if readable and not sys.stdin.readline():
            break
    zc.unregister_service(info)
    zc.close()
    print(json.dumps({"event": "unregistered"}), flush=True)


if __name__ == "__main__":
    main()
