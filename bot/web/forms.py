"""Forms read with a bound: Starlette's defaults (1000 files, 1 MB a part, no total)
are no bound for pages anyone on the internet can send to."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.types import Message


class BodyTooLarge(Exception):
    """The body went past its bound while it was being read (`read` bytes so far)."""

    def __init__(self, read: int) -> None:
        super().__init__(read)
        self.read = read


def limited(request: Request, max_bytes: int) -> Request:
    """The same request, whose body stops being read once it passes `max_bytes`
    (`BodyTooLarge`): a body sent without a Content-Length is never read whole."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > max_bytes:
            raise BodyTooLarge(received)
        return message

    return Request(request.scope, receive)


async def bounded_form(
    request: Request, *, max_fields: int, max_bytes: int, max_part: int | None = None
) -> FormData | None:
    """The request's form, or None when it cannot be one of our pages' forms: larger
    than `max_bytes` by its Content-Length (refused before a byte is read) or as it
    arrives, a file, more than `max_fields` fields, a field over `max_part` bytes
    (default `max_bytes`)."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > max_bytes):
        return None
    try:
        return await limited(request, max_bytes).form(
            max_files=0, max_fields=max_fields, max_part_size=max_part or max_bytes
        )
    except (BodyTooLarge, HTTPException):  # Starlette's 400 for a file or too many fields
        return None


async def form_or_refusal(
    request: Request, *, max_fields: int, max_bytes: int, way_on: str
) -> FormData:
    """`bounded_form`, or the Chinese 400 page (raised) for a form that cannot be ours."""
    form = await bounded_form(request, max_fields=max_fields, max_bytes=max_bytes)
    if form is None:
        raise FormRefused(way_on)
    return form


class FormRefused(Exception):
    """A form past its bound; answered with the 400 page leading to `way_on`."""

    def __init__(self, way_on: str) -> None:
        super().__init__(way_on)
        self.way_on = way_on
