"""`safecomm web`: serve the pages with uvicorn until SIGINT or SIGTERM."""

from __future__ import annotations

import sys

from workflow.core.settings import Settings


def run_web(settings: Settings) -> int:
    """Serve on the bind address; the exit code (2 without a session secret)."""
    import uvicorn

    from bot.texts import bot_texts
    from bot.web.app import create_app
    from bot.web.logs import install_web_log_filters
    from migrations import ensure_schema
    from workflow.core.db import bot_engine
    from workflow.core.privacy import install_log_redaction

    if settings.session_secret is None:
        print(bot_texts.text("web.cli.no_secret", settings.language), file=sys.stderr)
        return 2
    install_log_redaction()
    engine = bot_engine(settings)
    ensure_schema(engine)
    app = create_app(settings, engine)
    host, port = settings.bind_host_port
    config = uvicorn.Config(app, host=host, port=port, proxy_headers=True, log_config=None)
    install_web_log_filters()
    uvicorn.Server(config).run()
    return 0
