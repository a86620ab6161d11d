"""What every ``llmobs`` command shares: its options, the one-line error handling, settings loading,
and the fast Typer defaults.

Its own module so the command modules (``app``, ``stack_cmds``, ``app_cmds``, ``alerts_cmds``) import it
at the top and ``app`` imports them at the top: no import cycle. Module level imports only Typer
(``llmobs --help`` must stay fast).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup


class Group(TyperGroup):
    """A command group whose help lists each command's whole first sentence, wrapped, never cut with "..."."""

    def get_help_option(self, ctx: Any) -> Any:
        # Typer 0.29 leaves an unused --help flag at None, not False, and so runs it through a pydantic
        # TypeAdapter: `llmobs render --help` would import pydantic (~0.1 s) only to learn "not given".
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            for param in command.get_params(ctx):
                _coerce_only_given(param)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, cmd.get_short_help_str(limit=1_000)) for name, cmd in self.commands.items() if not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _BuiltWhenGiven:
    """Stands in for Typer's coercion of one parameter until the parameter has a value.

    Typer 0.29 builds a pydantic TypeAdapter for every parameter of the command that runs, given or
    not, only to pass the absent ones through as None: ``llmobs status`` would import pydantic
    (~0.15 s) for options nobody typed. An absent value is answered here exactly as Typer's
    ``RuntimeParam.coerce`` answers it; so is a given text or path (:func:`_plain`, Typer's own path
    checks included), which ``llmobs render --out DIR`` would otherwise pay pydantic for even when its
    bundle comes from the cache. Any other given value builds Typer's own coercion and uses it.
    """

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        plain = _plain(value, param, ctx)
        if plain is not _NOT_PLAIN:
            return plain
        param._runtime_param = None  # Typer's own, built now, for this and every later value
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


_BUILT_WHEN_GIVEN = _BuiltWhenGiven()
_NOT_PLAIN = object()


def _plain(value: Any, param: Any, ctx: Any) -> Any:
    """``value`` as Typer 0.29 coerces it when the parameter is ``str``, ``Path`` or a list of one of them
    with no parser of its own (every such llmobs option), else ``_NOT_PLAIN``.

    Typer's adapters do exactly this for those annotations: ``str(text)`` for a str; for a Path, pydantic's
    ``Path(text)`` handed to Typer's ``coerce_cli_path`` (its exists/readable/... checks), called here with
    the Path already made; a list of the items for a repeated option. tests/test_cli_startup.py compares
    both on every llmobs parameter.
    """
    from typing import get_args, get_origin

    from typer._param_types import coerce_cli_path

    desc = getattr(param, "type_descriptor", None)
    info = getattr(desc, "parameter_info", None)
    if desc is None or desc.file_annotation is not None or getattr(info, "parser", None) is not None:
        return _NOT_PLAIN
    annotation, many = desc.annotation, param.multiple or param.nargs == -1
    if get_origin(annotation) is list and many and isinstance(value, (list, tuple)):
        annotation, items = get_args(annotation)[0], list(value)
    elif not many:
        items = [value]
    else:
        return _NOT_PLAIN
    if not all(isinstance(item, str) for item in items):
        return _NOT_PLAIN
    if annotation is str:
        coerced = items
    elif annotation is Path and info.path_type in (None, Path):
        coerced = [coerce_cli_path(Path(item), info, path_type=Path, param=param, ctx=ctx) for item in items]
    else:
        return _NOT_PLAIN
    return coerced if many else coerced[0]


def _coerce_only_given(param: Any) -> None:
    """Defer Typer's coercion of ``param`` to a given value (Typer versions without it: nothing to do)."""
    if getattr(param, "_runtime_param", False) is None and hasattr(param, "get_runtime_param"):
        param._runtime_param = _BUILT_WHEN_GIVEN


# Plain help (no rich import) and no rich tracebacks: both are import cost paid on every run.
FAST: dict[str, Any] = {"cls": Group, "rich_markup_mode": None, "pretty_exceptions_enable": False,
                        "no_args_is_help": True}  # fmt: skip


def group(help_text: str) -> typer.Typer:
    """A command group (``llmobs config``, ``llmobs alerts`` ...) with the fast defaults."""
    return typer.Typer(help=help_text, **FAST)


# --debug (set by the app's callback): show tracebacks instead of one line.
state = {"debug": False}

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Settings file (default: ./llmobs.yaml if present).")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="KEY=VALUE", help="Override a setting, e.g. --set ports.grafana=3001."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BackendOpt = Annotated[
    str | None, typer.Option("--backend", "-b", help="Where telemetry goes: grafana (default), datadog or otlp.")
]


@contextmanager
def user_errors() -> Any:
    """Turn LlmobsError into one red line and exit code 2 (a traceback only with --debug)."""
    from llmobs.errors import LlmobsError

    try:
        yield
    except LlmobsError as exc:
        if state["debug"]:
            raise
        typer.secho(f"error: {exc.line()}", fg="red", err=True)
        raise typer.Exit(exc.exit_code) from None


def load(config: Path | None, sets: list[str] | None, backend: str | None = None) -> Any:
    """The effective settings (llmobs.config.Loaded) from the file, env and --set, as every command reads them."""
    from llmobs.config import load as load_settings

    return load_settings(config=config, sets=sets or [], backend=backend)
