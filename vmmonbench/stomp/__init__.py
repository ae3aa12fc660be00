"""STOMP 1.2, the framing VDSM and the oVirt engine speak on port 54321 (host and client)."""
