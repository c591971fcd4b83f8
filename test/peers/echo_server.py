#!/usr/bin/python3
"""python3-websockets echo server for the interop tests. Run with /usr/bin/python3 (Debian's websockets).

Usage: echo_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof]

Prints JSON lines on stdout: {"event": "listening", "port": N} once ready, then per connection
{"event": "open", ...} and {"event": "closed", "code": ..., "reason": ..., "messages": ...}.
Echoes text as text and binary as binary, and understands the commands of test/helpers/echo-commands.ts:
"__close__ [<code> <reason>]", "__ping__ <payload>" and "__fragmented__ text|binary". Exits on SIGTERM/SIGINT (and at the end of stdin with --exit-on-stdin-eof).
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import threading

import websockets
from websockets.exceptions import ConnectionClosed

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payloads import binary_payload  # noqa: E402

MAX_SIZE = 32 * 1024 * 1024  # above the 16 MiB test messages


def report(**fields):
    print(json.dumps(fields), flush=True)


async def run_command(ws, message):
    if message == "__close__":
        await ws.close()
        return True
    if message.startswith("__close__ "):
        code, _, reason = message[len("__close__ "):].partition(" ")
        await ws.close(int(code), reason)
        return True
    if message.startswith("__ping__ "):
        payload = message[len("__ping__ "):]
        pong_waiter = await ws.ping(payload.encode())
        await asyncio.wait_for(pong_waiter, 10)
        await ws.send("__pong__ " + payload)
        return True
    if message == "__fragmented__ text":
        # Python sends str fragments, so unlike `ws` it cannot split a character between fragments.
        await ws.send(["a", "\u00e9\u20ac", "", "\U0001F600x"])
        return True
    if message == "__fragmented__ binary":
        data = binary_payload(2 * 65536 + 1)

        async def fragments_with_ping_between():
            yield data[:65536]
            await ws.ping(b"between-fragments")
            yield data[65536:131072]
            yield data[131072:]

        await ws.send(fragments_with_ping_between())
        return True
    return False


async def handle(ws):
    connection = id(ws)
    report(event="open", conn=connection, path=ws.path)
    messages = 0
    try:
        while True:
            message = await ws.recv()
            messages += 1
            if isinstance(message, str) and await run_command(ws, message):
                continue
            await ws.send(message)
    except ConnectionClosed:
        pass
    await ws.wait_closed()
    report(event="closed", conn=connection, path=ws.path, code=ws.close_code, reason=ws.close_reason, messages=messages)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def request_stop():
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)

    if args.exit_on_stdin_eof:
        # The test runner holds our stdin: when it dies, stdin closes and we stop too.
        def wait_for_stdin_eof():
            while sys.stdin.buffer.read(4096):
                pass
            loop.call_soon_threadsafe(request_stop)

        threading.Thread(target=wait_for_stdin_eof, daemon=True).start()

    async with websockets.serve(
        handle, args.host, args.port, max_size=MAX_SIZE, ping_interval=None, close_timeout=5
    ) as server:
        port = server.sockets[0].getsockname()[1]
        report(event="listening", port=port, websockets=websockets.__version__)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
