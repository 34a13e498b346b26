"""Portal source files the knowledge base is built from (see ATTRIBUTION.md)."""
