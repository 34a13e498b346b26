"""The staff web console at ``/console``: handed-over conversations, dossiers, local information."""
