"""The printable checklist of a procedure for the citizen's case, to take to the counter."""
