"""Channel adapters: each turns one platform's wire format into the message model and back."""
