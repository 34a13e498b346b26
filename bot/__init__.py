"""Wiring: configuration, composition root, storage, dispatcher, server, console and CLI."""
