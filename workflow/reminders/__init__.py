"""December reminders: the pure plan, the outbox that sends each one at most
once, agency contacts and what they hand in, and the cycle that ties them.
"""
