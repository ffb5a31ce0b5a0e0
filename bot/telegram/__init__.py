"""The Telegram channel (python-telegram-bot): the application and its runner,
handlers per audience (survey, agency, admin), the outbox sender and the jobs.
"""
