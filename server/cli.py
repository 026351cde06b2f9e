"""The `regoffice` command.

Each command imports the services it uses when it runs: `regoffice --help` or `regoffice
status` should not pay for loading the whole server (the engine, documents, reports).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from server.auth import Actor
from server.bootstrap import build_context
from server.cli_cases import cases
from server.cli_common import ctx as _ctx
from server.cli_common import fail as _fail
from server.cli_common import json_default as _json_default
from server.cli_record import record
from server.cli_reports import report
from server.config import Settings
from server.services.errors import DomainError


@click.group()
def main() -> None:
    """regoffice — workflow and document server of the Registrar Office."""


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from server.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url, revision)
    click.echo(f"Схема базы данных обновлена ({revision}).")


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
def deploy(path: Path | None) -> None:
    """Deploy a BPMN/DMN file or a folder of models (default: workflows/)."""
    from server.services.procedures import deployments

    ctx = _ctx()
    target = path or ctx.settings.workflows_dir
    try:
        if target.is_dir():
            results = deployments.deploy_folder(ctx, Actor.system(), target)
        else:
            results = deployments.deploy_file(ctx, Actor.system(), target.name, target.read_bytes())
    except DomainError as exc:
        _fail(exc)
        return
    for r in results:
        state = "новая версия" if r.created else "без изменений"
        click.echo(f"{r.process_id}: версия {r.version} ({state})")


@main.command()
def check() -> None:
    """Validate every model, form and template together; exit 1 on any problem."""
    from server.services.procedures.checks import check_all

    problems = check_all(build_context(Settings.from_env(), database=False))
    for line in problems:
        click.secho(line, fg="red")
    if problems:
        click.secho(f"Найдено проблем: {len(problems)}", fg="red")
        sys.exit(1)
    click.secho("Модели, формы и шаблоны в порядке.", fg="green")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def serve(host: str, port: int) -> None:
    """Run the server (development server; production uses gunicorn server.wsgi:app)."""
    from server.app import create_app

    settings = Settings.from_env()
    if settings.auto_deploy:  # the models in workflows/ (unchanged files make no new version)
        from server.services.procedures import deployments

        try:
            deployments.deploy_folder(build_context(settings), Actor.system(), settings.workflows_dir)
        except DomainError as exc:
            _fail(exc)
    app = create_app(settings)
    click.echo(f"regoffice: http://{host}:{port}/app/  (API: http://{host}:{port}/api/v1/openapi.json)")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the demo database and exit.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Migrate, deploy workflows/, load demo users, students and cases, then serve."""
    from server import demo as demo_data
    from server.migrate import upgrade
    from server.services.people.users import create_token
    from server.services.procedures import deployments

    ctx = _ctx()
    upgrade(ctx.settings.database_url)
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    result = demo_data.seed(ctx)
    click.echo(f"База данных: {ctx.settings.database_url}")
    if result.get("created"):
        click.echo(f"Созданы демо-данные, дел: {len(result.get('cases', []))}")
    click.echo(f"\nДемо-пользователи (пароль для всех: {demo_data.DEMO_PASSWORD}):")
    for username, name, roles, faculty in demo_data.USERS:
        token = create_token(ctx, username, "demo")
        scope = f", факультет {faculty}" if faculty else ""
        click.echo(f"  {username:<11} {', '.join(roles)}{scope} — {name}\n"
                   f"              API: Authorization: Bearer {token}")
    if no_serve:
        return
    from server.app import create_app

    app = create_app(ctx=ctx)
    click.echo(f"\nregoffice работает: http://{host}:{port}/app/ — вход для сотрудников "
               f"(логин из списка выше, пароль {demo_data.DEMO_PASSWORD})\n"
               f"API: http://{host}:{port}/api/v1/openapi.json")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.group()
def users() -> None:
    """Users and API tokens."""


@users.command("create")
@click.argument("username")
@click.option("--full-name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--faculty", default=None, help="Faculty code (required for deans)")
@click.option("--email", default=None)
@click.option("--password", default=None, help="Omit to be prompted")
def users_create(username: str, full_name: str, roles: tuple[str, ...], faculty: str | None,
                 email: str | None, password: str | None) -> None:
    """Create a user with one or more roles."""
    from server.services.people.users import NewUser, create_user

    if password is None and sys.stdin.isatty():
        password = click.prompt("Пароль", hide_input=True, confirmation_prompt=True)
    try:
        user_id = create_user(_ctx(), NewUser(username, full_name, roles, password, faculty, email))
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Пользователь {username} создан (id {user_id}).")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli")
def users_token(username: str, name: str) -> None:
    """Create an API token (printed once; only its hash is stored)."""
    from server.services.people.users import create_token

    try:
        click.echo(create_token(_ctx(), username, name))
    except DomainError as exc:
        _fail(exc)


@main.group()
def students() -> None:
    """The student registry."""


@students.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True)
def students_import(path: Path, dry_run: bool) -> None:
    """Import students from a CSV or XLSX export (upsert by ИИН)."""
    from server.services.students.imports import import_students

    try:
        result = import_students(_ctx(), path, dry_run=dry_run)
    except DomainError as exc:
        _fail(exc)
        return
    for warning in result.warnings:
        click.echo(f"Предупреждение: {warning}")
    click.echo(f"Создано: {result.created}, обновлено: {result.updated}"
               + (f", предупреждений: {len(result.warnings)}" if result.warnings else "")
               + (" (пробный запуск, ничего не записано)" if dry_run else ""))


@main.command()
def drain() -> None:
    """Run every due background job and timer once, in this process."""
    from server.jobs.inprocess import drain as run

    click.echo(json.dumps({"processed": run(_ctx())}))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--strict", is_flag=True, help="Exit 1 on open incidents or a stale worker heartbeat.")
@click.option("--probe", type=click.IntRange(0), default=None, metavar="N",
              help="First enqueue a diagnostics job that fails N times, then succeeds.")
def status(as_json: bool, strict: bool, probe: int | None) -> None:
    """Background work: queue, oldest job, next timers, incidents, worker heartbeat."""
    from server.services.background import operations

    ctx = _ctx()
    job_id = None
    if probe is not None:
        job_id = operations.enqueue_probe(ctx, None, probe)
        if not as_json:
            click.echo(f"Диагностическое задание №{job_id} поставлено в очередь "
                       f"(сбоев до успеха: {probe}).\n")
    st = operations.status(ctx)
    if as_json:
        data = {**st.to_dict(), **({"probe_job_id": job_id} if probe is not None else {})}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
    else:
        from server.cli_status import render_status

        click.echo(render_status(st, ctx.tz))
    if strict and (st.incidents or not st.worker_ok):
        sys.exit(1)


@main.group()
def incidents() -> None:
    """Failed background jobs: list, retry, skip."""


@incidents.command("list")
def incidents_list() -> None:
    """Open incidents."""
    from server.services.background import operations

    items = operations.list_incidents(_ctx())
    for i in items:
        click.echo(f"№{i.job_id} {i.kind} дело {i.case_id or '—'} попыток {i.attempts}: {i.last_error}")
    click.echo(f"Инцидентов: {len(items)}")


@incidents.command("retry")
@click.argument("job_id", type=int)
def incidents_retry(job_id: int) -> None:
    """Run a failed job again."""
    from server.services.background import operations

    try:
        job = operations.retry_job(_ctx(), Actor.system(), job_id)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Задание №{job.job_id} ({job.kind}) поставлено в очередь повторно.")


@incidents.command("skip")
@click.argument("job_id", type=int)
@click.option("--reason", required=True, help="Why the job is given up (recorded in the history).")
def incidents_skip(job_id: int, reason: str) -> None:
    """Give a failed job up; a waiting step of its case completes as skipped."""
    from server.services.background import operations

    try:
        job = operations.skip_job(_ctx(), Actor.system(), job_id, reason)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Задание №{job.job_id} ({job.kind}) пропущено.")


@main.command()
@click.option("--concurrency", default=2, type=int)
@click.option("--queues", default="regoffice,regoffice-long", show_default=True,
              help="Queues consumed, comma-separated: regoffice (every job), regoffice-long "
                   "(the long jobs: a whole university's record import). A worker of its own "
                   "for regoffice-long keeps them off the pool processes the others need.")
def worker(concurrency: int, queues: str) -> None:
    """Celery worker (production; needs CELERY_BROKER_URL)."""
    from server.jobs.celery_app import LONG_QUEUE, QUEUE, celery

    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(names) - {QUEUE, LONG_QUEUE})
    if not names or unknown:
        raise click.BadParameter(f"known queues: {QUEUE}, {LONG_QUEUE}", param_hint="--queues")
    celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}",
                        "-Q", ",".join(names)])


@main.command()
@click.option("--schedule", default=None, help="Beat schedule file (default: in the instance folder)")
def beat(schedule: str | None) -> None:
    """Celery beat: ticks the dispatcher (timers, outbox) every few seconds."""
    from server.jobs.celery_app import celery

    path = schedule or str(Settings.from_env().instance_dir / "celerybeat-schedule")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", "--loglevel=INFO", "--schedule", path])


main.add_command(report)
main.add_command(cases)
main.add_command(record)


if __name__ == "__main__":
    main()
