"""Communities: one per condition, with members and moderators."""
