"""Who may do what: actors, the two roles and where they come from, and the
audited granting and revoking of roles.
"""
