"""Browses _wsmesh._tcp.local. with python-zeroconf and prints one JSON line per resolved service.

Usage: /usr/bin/python3 zeroconf_browse.py INTERFACE_ADDRESS SECONDS [IPV6_INTERFACE]
INTERFACE_ADDRESS "-": no IPv4. IPV6_INTERFACE (e.g. eth0): mDNS over IPv6 on that interface too.
Each line: {"event": "added"|"updated"|"removed", "name", "port", "addresses", "txt", "t"}.
"""
import json
import socket
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceListener, Zeroconf

SERVICE_TYPE = "_wsmesh._tcp.local."
started = time.monotonic()


def emit(event, zc, type_, name):
    record = {"event": event, "name": name, "t": int((time.monotonic() - started) * 1000)}
    if event != "removed":
        info = zc.get_service_info(type_, name, timeout=3000)
        if info is None:
            record["unresolved"] = True
        else:
            record["port"] = info.port
            record["addresses"] = info.parsed_addresses()
            record["server"] = info.server
            record["txt"] = {
                key.decode("utf-8", "replace"): (value.decode("utf-8", "replace") if value is not None else None)
                for key, value in info.properties.items()
            }
    print(json.dumps(record), flush=True)


class Listener(ServiceListener):
    def add_service(self, zc, type_, name):
        emit("added", zc, type_, name)

    def update_service(self, zc, type_, name):
        emit("updated", zc, type_, name)

    def remove_service(self, zc, type_, name):
        emit("removed", zc, type_, name)


def open_zeroconf(address, ipv6_interface):
    """Zeroconf on the IPv4 address (unless "-") and, when named, on an interface over IPv6."""
    if ipv6_interface is None:
        return Zeroconf(interfaces=[address])
    interfaces = ([] if address == "-" else [address]) + [socket.if_nametoindex(ipv6_interface)]
    version = IPVersion.V6Only if address == "-" else IPVersion.All
    return Zeroconf(interfaces=interfaces, ip_version=version)


def main():
    address, seconds = sys.argv[1], float(sys.argv[2])
    zc = open_zeroconf(address, sys.argv[3] if len(sys.argv) > 3 else None)
    ServiceBrowser(zc, SERVICE_TYPE, Listener())
    print(json.dumps({"event": "ready", "t": int((time.monotonic() - started) * 1000)}), flush=True)
    time.sleep(seconds)
    zc.close()


if __name__ == "__main__":
    main()
