"""The bus: topology, outbox and relay, consumer with inbox, dead letters."""
