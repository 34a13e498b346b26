"""Helpers shared by tests of several parts: in-memory ports, sample procedures, citizens."""
