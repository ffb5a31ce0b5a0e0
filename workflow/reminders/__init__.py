"""Reminders: December's report and questionnaire reminders, the quarterly Art. 11
shortfall reminder, the pure plan, the outbox that sends each one at most once, agency
contacts and what they hand in, and the cycle that ties them.
"""
