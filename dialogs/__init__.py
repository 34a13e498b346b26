"""Platform-independent conversations: message in, state in; replies out, state out."""
