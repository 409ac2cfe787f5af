"""Round trips of an SMTP connection, counted from the direction of its data.

Shared by delay_relay.py (which sees the chunks it forwards) and pcap_flights.py
(which sees the packets of a capture). A flight is a run of data in one
direction; every server->client flight that follows a client->server flight is
one round trip. A flight whose client part starts with EHLO/HELO/LHLO is "setup",
one starting with QUIT is "quit", a server flight before any client data is the
greeting; the rest are the round trips of the mail transactions.
"""

SETUP_PREFIXES = (b"EHLO", b"HELO", b"LHLO")


class Flights:
    def __init__(self):
        self.last = None  # "c" or "s": direction of the last data
        self.prefix = b""  # first bytes of the current client flight
        self.greeting = self.setup = self.quit = self.round_trips = 0
        self.client_bytes = self.server_bytes = 0

    def client(self, size, head):
        """`size` bytes from the client; `head` is their first bytes."""
        self.client_bytes += size
        if self.last != "c":
            self.prefix = b""
        if len(self.prefix) < 8:
            self.prefix += head[: 8 - len(self.prefix)]
        self.last = "c"

    def server(self, size):
        """`size` bytes from the server."""
        self.server_bytes += size
        if self.last == "c":
            self.round_trips += 1
            head = self.prefix.upper()
            if head.startswith(SETUP_PREFIXES):
                self.setup += 1
            elif head.startswith(b"QUIT"):
                self.quit += 1
        elif self.last is None:
            self.greeting += 1
        self.last = "s"

    def counts(self):
        return {
            "greeting": self.greeting,
            "setup": self.setup,
            "quit": self.quit,
            "round_trips": self.round_trips,
            "msg_round_trips": self.round_trips - self.setup - self.quit,
            "client_bytes": self.client_bytes,
            "server_bytes": self.server_bytes,
        }
