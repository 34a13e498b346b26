"""Local fake servers speaking each platform's real wire format, for tests."""
