"""Vietnam's administrative units in force since 1 July 2025: lookup, search, old addresses."""
