"""The planning screens: needs, goals, communication, membership, partners, training, requests, evaluation, community."""
