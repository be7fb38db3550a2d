"""The coach: from a question and the asker's deals to a grounded answer."""
