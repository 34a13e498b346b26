"""The conversation flows: menu, questions, checklists, reminders and the other services."""
