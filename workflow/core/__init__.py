"""Infrastructure every context shares: the database and its one transaction
convention, settings, the clock, errors, message catalogues, masking of
personal data, safe spreadsheet writing, and the list of every table.
"""
