"""Storage tests and the database fixtures shared with the dispatcher and reminder tests."""
