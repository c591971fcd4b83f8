#!/usr/bin/python3
"""python3-websockets client for the interop tests. Run with /usr/bin/python3 (Debian's websockets).

Usage: client.py URL [--scenario echo|server-close] [--sizes 0,125,...] [--close-code N] [--close-reason TEXT]

Talks to an echo server that understands the commands of test/helpers/echo-commands.ts and reports one JSON
object per step on stdout: {"step": ..., "ok": true|false, ...}; the last line is {"step": "done", "ok": ...}.
Exit code 0 when every step was ok.

scenario echo: text and binary messages of each size (verifies the echo's type and bytes), fragmented text and
  binary messages, pings with payloads (waits for the pong), a server-initiated ping ("__ping__"), then closes with
  --close-code/--close-reason and reports the code and reason of the server's close frame (ok when the
  code is echoed).
scenario server-close: asks the server to close ("__close__ <code> <reason>") and reports what it received.
"""
import argparse
import asyncio
import json
import os
import sys

import websockets
from websockets.exceptions import ConnectionClosed

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payloads import INTEROP_SIZES, binary_payload, text_payload  # noqa: E402

MAX_SIZE = 32 * 1024 * 1024
STEP_TIMEOUT = 60
results = []


def report(step, ok, **fields):
    results.append(ok)
    print(json.dumps({"step": step, "ok": ok, **fields}), flush=True)


def describe(value):
    kind = "text" if isinstance(value, str) else "binary"
    size = len(value.encode()) if isinstance(value, str) else len(value)
    return f"{kind} of {size} bytes"


async def expect_echo(ws, step, sent, **fields):
    received = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
    if isinstance(sent, list):
        sent = ("" if isinstance(sent[0], str) else b"").join(sent)
    ok = type(received) is type(sent) and received == sent
    error = None if ok else f"sent {describe(sent)}, got {describe(received)} (content equal: {received == sent})"
    report(step, ok, **fields, **({"error": error} if error else {}))


async def echo_scenario(ws, sizes, close_code, close_reason):
    for size in sizes:
        await ws.send(text_payload(size))
        await expect_echo(ws, "echo", text_payload(size), type="text", size=size)
        await ws.send(binary_payload(size))
        await expect_echo(ws, "echo", binary_payload(size), type="binary", size=size)

    fragmented_text = ["a\u00e9", "\u20ac", "", "\U0001F600x"]
    await ws.send(fragmented_text)
    await expect_echo(ws, "fragmented", fragmented_text, type="text", fragments=len(fragmented_text))
    big = binary_payload(3 * 65536 + 1)
    fragmented_binary = [big[:65536], big[65536:131072], big[131072:]]
    await ws.send(fragmented_binary)
    await expect_echo(ws, "fragmented", fragmented_binary, type="binary", fragments=len(fragmented_binary))

    for payload in (b"", b"ping-payload", binary_payload(125)):
        pong_waiter = await ws.ping(payload)
        await asyncio.wait_for(pong_waiter, STEP_TIMEOUT)
        report("ping", True, size=len(payload))

    await ws.send("__ping__ from-server")
    reply = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
    report("server-ping", reply == "__pong__ from-server", reply=reply if isinstance(reply, str) else None)

    await asyncio.wait_for(ws.close(close_code, close_reason), STEP_TIMEOUT)
    # RFC 6455 section 5.5.1: the peer echoes the status code; echoing the reason is optional.
    report(
        "close",
        ws.close_code == close_code,
        sent_code=close_code,
        sent_reason=close_reason,
        code=ws.close_code,
        reason=ws.close_reason,
    )


async def server_close_scenario(ws, close_code, close_reason):
    await ws.send(f"__close__ {close_code} {close_reason}")
    try:
        message = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
        report("server-close", False, error=f"expected a close, got {describe(message)}")
    except ConnectionClosed:
        await ws.wait_closed()
        report(
            "server-close",
            ws.close_code == close_code and ws.close_reason == close_reason,
            code=ws.close_code,
            reason=ws.close_reason,
        )


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--scenario", choices=["echo", "server-close"], default="echo")
    parser.add_argument("--sizes", default=",".join(str(size) for size in INTEROP_SIZES))
    parser.add_argument("--close-code", type=int, default=1000)
    parser.add_argument("--close-reason", default="")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size != ""]

    try:
        async with websockets.connect(
            args.url, max_size=MAX_SIZE, ping_interval=None, close_timeout=5, open_timeout=STEP_TIMEOUT
        ) as ws:
            report("open", True, websockets=websockets.__version__, extensions=[str(e.name) for e in ws.extensions])
            if args.scenario == "echo":
                await echo_scenario(ws, sizes, args.close_code, args.close_reason)
            else:
                await server_close_scenario(ws, args.close_code, args.close_reason)
    except Exception as error:  # report every failure as a step, never a bare traceback
        report("error", False, error=f"{type(error).__name__}: {error}")
    report("done", all(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
