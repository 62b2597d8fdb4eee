"""Peer-to-peer sync over the local network: discovery, a secure channel, sessions, the node."""
