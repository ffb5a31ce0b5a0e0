"""The registry: agencies and consultants with every field of the two official
forms, identifiers with their GB check characters, the Art. 8 conditions, the
Art. 9 checklist, the spreadsheet template and import, and masked display.
"""
