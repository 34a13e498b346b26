"""Filing a dossier from the chat: the forms (as data), their validation and the filing flow."""
