#!/usr/bin/env python3
"""A TCP relay that adds a fixed one-way delay, and counts SMTP round trips.

    delay_relay.py --listen ADDR --target HOST:PORT --delay-ms 10 \
                   --port-file FILE --stats FILE

Listens on ADDR (port picked free, written to --port-file once listening) and
forwards every connection to --target. Every chunk read from either side is
written to the other side --delay-ms after it arrived: each chunk's send time is
its own arrival time plus the delay (not cumulative), and the order within a
direction is kept. With 10 ms each way a client sees a 20 ms round trip. An EOF is
forwarded (as a half-close) with the same delay.

Round trips: a flight is a run of data chunks in one direction. Every
server->client flight that follows a client->server flight is one round trip.
Flights whose client part starts with EHLO/HELO/LHLO are counted as "setup", one
starting with QUIT as "quit", a server flight before any client data as the
"greeting"; the rest are the round trips of the mail transactions. When a
connection is closed on both sides, one JSON line is appended to --stats:
    {"conn": N, "greeting": 1, "setup": 1, "quit": 1, "round_trips": R,
     "msg_round_trips": R - setup - quit, "client_bytes": B, "server_bytes": S,
     "seconds": T}
Python 3 standard library only. Stop it with SIGTERM.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flights import Flights  # noqa: E402  (the module next to this script)


class Stats:
    def __init__(self, conn):
        self.conn = conn
        self.flights = Flights()
        self.t0 = time.monotonic()

    def client_data(self, data):
        self.flights.client(len(data), data)

    def server_data(self, data):
        self.flights.server(len(data))

    def record(self):
        return {
            "conn": self.conn,
            **self.flights.counts(),
            "seconds": round(time.monotonic() - self.t0, 4),
        }


async def pump(reader, writer, delay, on_data):
    """Copies reader to writer, each chunk delay seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read_side():
        try:
            while True:
                data = await reader.read(65536)
                due = loop.time() + delay
                if not data:
                    break
                on_data(data)
                queue.put_nowait((due, data))
        except (ConnectionError, OSError):
            due = loop.time() + delay
        queue.put_nowait((due, None))

    async def write_side():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    try:
                        writer.write_eof()
                    except (ConnectionError, OSError):
                        pass
                return
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    await asyncio.gather(read_side(), write_side())


class Relay:
    def __init__(self, args):
        self.target_host, port = args.target.rsplit(":", 1)
        self.target_port = int(port)
        self.delay = args.delay_ms / 1000.0
        self.stats_path = args.stats
        self.conns = 0

    async def handle(self, c_reader, c_writer):
        self.conns += 1
        stats = Stats(self.conns)
        try:
            s_reader, s_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError as e:
            print(f"delay_relay: cannot reach {self.target_host}:{self.target_port}: {e}",
                  file=sys.stderr)
            c_writer.close()
            return
        try:
            await asyncio.gather(
                pump(c_reader, s_writer, self.delay, stats.client_data),
                pump(s_reader, c_writer, self.delay, stats.server_data),
            )
        finally:
            for w in (c_writer, s_writer):
                w.close()
            with open(self.stats_path, "a") as f:
                f.write(json.dumps(stats.record()) + "\n")


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--listen", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--delay-ms", type=float, default=10.0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--stats", required=True)
    args = p.parse_args()
    relay = Relay(args)
    server = await asyncio.start_server(relay.handle, args.listen, 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.replace(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
