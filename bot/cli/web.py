"""`safecomm web`: serve the web pages; `safecomm web login-link USER`: a one-time
sign-in link for an admin or expert.

    safecomm web                                   serve on SAFECOMM_WEB_BIND until Ctrl+C
    safecomm web login-link USER [--name NAME]     print a sign-in link (used once)
    safecomm web revoke USER | --agency REF        end their web sessions and unused links

USER is a Telegram id or `tg:<id>` that holds a role (`safecomm role grant`); the
link opens `SAFECOMM_WEB_BASE_URL/login/<token>` and lasts SAFECOMM_WEB_LINK_HOURS.
"""

from __future__ import annotations

import typer

from bot.cli.common import open_engine, operator, settings

web_app = typer.Typer(help="网页 / the web pages", invoke_without_command=True)


def _t(key: str, /, **params: object) -> str:
    from bot.texts import bot_texts

    return bot_texts.text(f"web.cli.{key}", settings().language, **params)


@web_app.callback()
def serve(context: typer.Context) -> None:
    """运行网页服务，直到 Ctrl+C 或 SIGTERM / serve the web pages until stopped."""
    if context.invoked_subcommand is not None:
        return
    from bot.web.serve import run_web

    raise typer.Exit(run_web(settings()))


@web_app.command("login-link")
def login_link(
    user: str = typer.Argument(
        ..., help="tg:<Telegram 用户编号> 或 Telegram 用户编号 / tg:<Telegram id> or Telegram id"
    ),
    name: str = typer.Option("", "--name", help="页面上显示的姓名 / the name the pages show"),
) -> None:
    """为管理员或专家生成一次性网页登录链接 / a one-time sign-in link for an admin or expert."""
    from workflow.access.actors import Actor, parse_grantee
    from workflow.access.weblogins import issue_login, login_link
    from workflow.core.db import transaction

    current = settings()
    key = parse_grantee(user)
    with transaction(open_engine()) as session:
        token = issue_login(
            session,
            "staff",
            actor_key=key,
            label=name.strip() or key,
            issued_by=Actor.cli(operator()),
            settings=current,
        )
    print(_t("login_link", url=login_link(token, current.public_url), hours=current.web_link_hours))


@web_app.command("revoke")
def revoke(
    user: str = typer.Argument(
        "",
        help="tg:<Telegram 用户编号> 或 Telegram 用户编号 / tg:<Telegram id> or Telegram id",
    ),
    agency: str = typer.Option(
        "", "--agency", help="机构编号或统一社会信用代码 / agency id or credit code"
    ),
) -> None:
    """结束某人或某机构的所有网页登录和未用的登录链接 / end someone's web sessions and links."""
    from workflow.access.actors import parse_grantee
    from workflow.access.weblogins import revoke_sessions
    from workflow.core.db import transaction
    from workflow.registry.service import find_agency

    if bool(user.strip()) == bool(agency.strip()):
        raise typer.BadParameter(_t("revoke_which"))
    with transaction(open_engine()) as session:
        key = f"agency:{find_agency(session, agency).id}" if agency.strip() else parse_grantee(user)
        ended = revoke_sessions(session, key)
    print(_t("revoked", key=key, count=ended))


def register(app: typer.Typer) -> None:
    app.add_typer(web_app, name="web")
