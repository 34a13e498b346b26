"""Search vocabulary staff can extend without code: abbreviations, colloquial and English names."""
