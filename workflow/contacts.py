"""Tables of this module are added by its issue."""
