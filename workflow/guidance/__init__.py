"""The year's guidance work on record (Art. 11): activities per creation unit, their
evidence files, and the minimums the article sets, counted into shortfalls."""
