"""The web channel: server-rendered pages over the same `surveys/` and `workflow/`
functions as the chat (FastAPI, Jinja2, no JavaScript needed)."""
