"""Data shipped with the package: the built knowledge base and its sources."""
