"""Portal data uploaded in the console: rebuilt, shown as a diff, put in force on every worker."""
