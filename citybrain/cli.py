"""The ``citybrain`` command: core commands plus one sub-command group per domain.

Commands call the same service functions as the API. Expected errors print one line (English
and Chinese) and exit 1; set ``CITYBRAIN_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.table import Table

from citybrain import __version__
from citybrain.config import get_settings
from citybrain.domains import DOMAINS, domain_module
from citybrain.errors import CityBrainError

app = typer.Typer(
    name="citybrain",
    help="CityBrain 城市大脑: pool, check, fuse and share a city's data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@app.command()
def version() -> None:
    """Print the CityBrain version."""
    console.print(__version__)


@app.command("config")
def show_config() -> None:
    """Print the effective configuration (secrets masked)."""
    table = Table(title="CityBrain config / 当前配置", show_header=True)
    table.add_column("setting")
    table.add_column("value")
    for key, value in get_settings().public_dict().items():
        table.add_row(key, value)
    console.print(table)


@app.command()
def init() -> None:
    """Create the data dir and apply all migrations. Safe to run again."""
    from citybrain.store.runtime import Stores

    settings = get_settings()
    stores = Stores.from_settings(settings)
    try:
        stores.migrate()
        stores.lake.ping()
    finally:
        stores.close()
    console.print(f"[green]ready[/green] data dir {settings.home.resolve()} / 数据目录已就绪")


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default from CITYBRAIN_HOST)."),
    port: int = typer.Option(None, help="Port (default from CITYBRAIN_PORT)."),
) -> None:
    """Serve the API and the web console (migrations are applied on start)."""
    import uvicorn

    from citybrain.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    console.print(f"CityBrain on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    # Our middleware logs each request (path only); uvicorn's access log would add query strings.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


@app.command()
def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve when prepared."),
    host: str = typer.Option(None, help="Bind address."),
    port: int = typer.Option(None, help="Port."),
) -> None:
    """Prepare the demo city through every stage that exists, then serve it."""
    from citybrain.demo import run_demo

    settings = get_settings()
    run_demo(settings, console)
    if serve_after:
        url = f"http://{host or settings.host}:{port or settings.port}"
        console.print(f"[bold]The demo city: {url}/cockpit  (驾驶舱 · console {url}/)[/bold]")
        serve(host=host, port=port)


for _domain in DOMAINS:
    _module = domain_module(_domain, "cli")
    if _module is not None:
        _module.register(app)


def _interrupted(e: BaseException) -> bool:
    """Ctrl-C inside a DuckDB query: DuckDB takes the KeyboardInterrupt and raises its own
    error ("Query interrupted", a RuntimeError in DuckDB 2.0) in its place."""
    return type(e).__name__ == "InterruptException" or (
        isinstance(e, RuntimeError) and str(e).startswith("Query interrupted")
    )


def main() -> None:
    """Entry point: run the app, turning expected errors into one clear line."""
    try:
        app(standalone_mode=False)
    except CityBrainError as e:
        err_console.print(f"[red]error[/red] {e.message_en} / {e.message_zh}", soft_wrap=True)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted / 已中止")
        sys.exit(130)
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        sys.exit(code)
    except Exception as e:  # the one place a surprise is turned into a line
        if _interrupted(e):
            err_console.print("aborted / 已中止")
            sys.exit(130)
        if hasattr(e, "show") and hasattr(e, "exit_code"):  # a usage error: Typer's own click
            e.show()
            sys.exit(e.exit_code)
        if os.environ.get("CITYBRAIN_DEBUG"):
            raise
        first_line = (str(e).splitlines() or [""])[0]
        err_console.print(
            f"error {type(e).__name__}: {first_line}  "
            "(set CITYBRAIN_DEBUG=1 for a traceback / 设置 CITYBRAIN_DEBUG=1 查看详情)",
            soft_wrap=True,
            markup=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
