"""docker-compose.yml and the Dockerfile, checked against the code (no Docker engine needed).

Each service command must name a real `regoffice` subcommand with valid options, or a real
WSGI object; every variable the compose file sets must be one the code reads; what the code
needs in production must be set, the same way, for every application service.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from server.cli import main as cli_main
from server.config import ROOT

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat")
REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY")
# Helpers in server/ that read an environment variable named by their first argument.
ENV_HELPERS = {"_env_path", "_env_bool", "_env_int", "_env_str", "getenv"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?+])([^}]*))?\}")


# --- loading --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE.exists(), f"{COMPOSE} is missing"
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), \
        "docker-compose.yml must have a top-level 'services' mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _argv(command: str | list[str] | None, where: str) -> list[str]:
    assert command, f"{where}: no command"
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def _simple_commands(argv: list[str]) -> list[list[str]]:
    """`sh -c "a && b"` -> [[a...], [b...]]; anything else is one command."""
    if len(argv) == 3 and argv[0] in {"sh", "bash", "/bin/sh", "/bin/bash"} and argv[1] == "-c":
        parts = re.split(r"&&|;|\|\|", argv[2])
        return [shlex.split(p) for p in parts if p.strip()]
    return [argv]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _resolve(value: str) -> str:
    """Compose interpolation with a placeholder for required values, defaults otherwise."""
    def one(match: re.Match[str]) -> str:
        name, operator, default = match.groups()
        if operator in {"-", ":-"}:
            return default
        return f"{name.lower()}-value"
    return INTERPOLATION.sub(one, value)


# --- what the code reads --------------------------------------------------------------------
def _env_names_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    constants = {t.id: n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                 for t in n.targets if isinstance(t, ast.Name)}

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
            (isinstance(node, ast.Name) and node.id == "environ")

    names: set[str] = set()
    for node in ast.walk(tree):
        arg: ast.AST | None = None
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            arg = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            reads_environ = called in {"get", "pop", "setdefault"} and \
                is_environ(getattr(func, "value", None))
            if reads_environ or called in ENV_HELPERS:
                arg = node.args[0]
        name = literal(arg) if arg is not None else None
        if name:
            names.add(name)
    return names


@pytest.fixture(scope="module")
def env_read_by_code() -> set[str]:
    names: set[str] = set()
    for path in sorted((ROOT / "server").rglob("*.py")):
        names |= _env_names_in(path)
    assert {"DATABASE_URL", "SECRET_KEY"} <= names, \
        f"the scan of server/ for environment variables found only {sorted(names)}"
    return names


# --- commands -------------------------------------------------------------------------------
def _check_regoffice(args: list[str], where: str) -> None:
    """Walk the click groups of `regoffice` and parse the leaf's options without running it."""
    command: click.Command = cli_main
    parent = click.Context(cli_main, info_name="regoffice")
    path = ["regoffice"]
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest and not rest[0].startswith("-"), \
            f"{where}: `{' '.join(path)}` needs a subcommand; it has {sorted(command.commands)}"
        name = rest.pop(0)
        sub = command.get_command(parent, name)
        assert sub is not None, (f"{where}: `{' '.join(path)} {name}` is not a command; "
                                 f"known: {sorted(command.commands)}")
        path.append(name)
        parent = click.Context(sub, info_name=name, parent=parent)
        command = sub
    try:
        command.make_context(path[-1], list(rest), parent=parent.parent)
    except click.UsageError as exc:
        pytest.fail(f"{where}: `{' '.join(path + rest)}`: {exc.format_message()}")


def _wsgi_target(args: list[str], where: str) -> str:
    targets = [a for a in args if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", a)]
    assert len(targets) == 1, f"{where}: gunicorn needs exactly one module:object, got {targets}"
    return targets[0]


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _check_command(argv: list[str], where: str) -> None:
    for simple in _simple_commands(argv):
        program, args = simple[0], simple[1:]
        if program == "regoffice":
            _check_regoffice(args, where)
        elif program == "gunicorn":
            _wsgi_target(args, where)
            bind = _option(args, "--bind") or _option(args, "-b")
            assert bind and bind.startswith("0.0.0.0:"), \
                f"{where}: gunicorn must bind 0.0.0.0:<port> inside the container, got {bind}"
            config = _option(args, "--config") or _option(args, "-c")
            if config is not None:
                assert config.startswith("python:"), \
                    f"{where}: gunicorn's config must be a module of the package (python:...), got {config}"
                module = importlib.util.find_spec(config.removeprefix("python:"))
                assert module is not None, f"{where}: gunicorn config module {config} does not exist"
            # On the command line these override the config file, and so the environment too.
            fixed = [o for o in ("--workers", "-w", "--threads", "--timeout", "-t") if _option(args, o)]
            assert not fixed, (f"{where}: {fixed} on the command line would override WEB_WORKERS/"
                               "WEB_THREADS/WEB_TIMEOUT (server/gunicorn_conf.py)")
        else:
            pytest.fail(f"{where}: `{program}` is neither `regoffice` nor `gunicorn`; "
                        "the test cannot check it against the code")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_command_is_a_real_command(services: dict[str, Any], name: str) -> None:
    assert name in services, f"docker-compose.yml has no '{name}' service"
    _check_command(_argv(services[name].get("command"), f"service {name}"), f"service {name}")


def test_service_roles(services: dict[str, Any]) -> None:
    def programs(name: str) -> list[list[str]]:
        return _simple_commands(_argv(services[name]["command"], name))

    assert programs("web")[0][0] == "gunicorn", "web must run gunicorn"
    assert programs("worker")[0][:2] == ["regoffice", "worker"], "worker must run `regoffice worker`"
    assert programs("beat")[0][:2] == ["regoffice", "beat"], "beat must run `regoffice beat`"
    assert [c[:3] for c in programs("migrate")][:2] == [["regoffice", "db", "upgrade"],
                                                        ["regoffice", "deploy"]], \
        "migrate must run `regoffice db upgrade` and then `regoffice deploy`"
    assert str(services["migrate"].get("restart", "no")) == "no", "migrate is one-shot: restart 'no'"


def test_wsgi_object_exists(services: dict[str, Any], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = _wsgi_target(_argv(services["web"]["command"], "web"), "service web")
    module_name, attr = target.split(":")
    monkeypatch.setenv("REGOFFICE_BACKGROUND", "none")
    monkeypatch.setenv("REGOFFICE_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wsgi.db'}")
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    had_module = module_name in sys.modules
    try:
        module = importlib.import_module(module_name)
        if had_module:
            module = importlib.reload(module)
        app = getattr(module, attr, None)
        assert app is not None, f"{module_name} has no attribute {attr!r} (service web runs {target})"
        assert callable(app), f"{target} is not a WSGI callable"
        assert "regoffice.dispatcher" not in getattr(app, "extensions", {}), \
            "with REGOFFICE_BACKGROUND=none the web app must not start background work"
    finally:
        ctx = getattr(sys.modules.get(module_name), attr, None)
        ctx = getattr(ctx, "extensions", {}).get("regoffice")
        if ctx is not None:
            ctx.db.dispose()
        if not had_module:
            sys.modules.pop(module_name, None)


# --- environment ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_is_read_by_the_code(services: dict[str, Any], env_read_by_code: set[str],
                                         name: str) -> None:
    unknown = sorted(set(_environment(services[name])) - env_read_by_code)
    assert not unknown, (f"service {name} sets {unknown}, which nothing in server/ reads "
                         f"(the code reads {sorted(env_read_by_code)})")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_production_settings_are_set(services: dict[str, Any], name: str) -> None:
    env = _environment(services[name])
    required = REQUIRED_IN_PRODUCTION if name in LONG_RUNNING else ("DATABASE_URL", "SECRET_KEY")
    missing = [v for v in required if not env.get(v)]
    assert not missing, f"service {name} must set {missing}"
    assert env["SECRET_KEY"].startswith("${SECRET_KEY"), \
        f"service {name}: SECRET_KEY must come from the environment/.env, not be written in the file"
    assert urlsplit(_resolve(env["DATABASE_URL"])).scheme in {"postgresql", "postgresql+psycopg"}, \
        f"service {name}: DATABASE_URL must be a postgresql:// URL"
    if "CELERY_BROKER_URL" in env:
        assert urlsplit(_resolve(env["CELERY_BROKER_URL"])).scheme == "redis", \
            f"service {name}: CELERY_BROKER_URL must be a redis:// URL"
    assert env.get("REGOFFICE_BACKGROUND", "celery") == "celery", \
        f"service {name}: background work belongs to the Celery worker (REGOFFICE_BACKGROUND=celery)"


def test_services_share_database_broker_and_secret(services: dict[str, Any]) -> None:
    envs = {n: _environment(services[n]) for n in APP_SERVICES}
    for var in REQUIRED_IN_PRODUCTION:
        values = {n: e[var] for n, e in envs.items() if var in e}
        assert len(set(values.values())) == 1, f"{var} differs between services: {values}"


def test_urls_point_at_the_compose_services(compose: dict[str, Any], services: dict[str, Any]) -> None:
    env = _environment(services["web"])
    db = urlsplit(_resolve(env["DATABASE_URL"]))
    assert db.hostname in services, f"DATABASE_URL host {db.hostname!r} is not a compose service"
    assert services[db.hostname]["image"].startswith("postgres:16"), "PostgreSQL must be postgres:16"
    pg_env = _environment(services[db.hostname])
    assert db.path.lstrip("/") == pg_env.get("POSTGRES_DB"), "DATABASE_URL names another database"
    assert db.username == pg_env.get("POSTGRES_USER"), "DATABASE_URL names another user"
    assert _resolve(pg_env["POSTGRES_PASSWORD"]) == db.password, \
        "DATABASE_URL's password must be the postgres service's POSTGRES_PASSWORD"
    broker = urlsplit(_resolve(env["CELERY_BROKER_URL"]))
    assert broker.hostname in services, f"CELERY_BROKER_URL host {broker.hostname!r} is not a service"
    assert services[broker.hostname]["image"].startswith("redis:7"), "Redis must be redis:7"
    pg_volumes = [str(v).split(":", 1)[0] for v in services[db.hostname].get("volumes") or []]
    assert any(v in (compose.get("volumes") or {}) for v in pg_volumes), \
        f"PostgreSQL's data must be on a named volume, it has {pg_volumes}"


# --- health and start order -----------------------------------------------------------------
def test_backing_services_have_healthchecks(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "web", "nginx"):
        check = (services.get(name) or {}).get("healthcheck") or {}
        assert check.get("test"), f"service {name} needs a healthcheck"
    web_check = " ".join(map(str, services["web"]["healthcheck"]["test"]))
    assert "/healthz" in web_check and ":8000" in web_check, "web's healthcheck must call :8000/healthz"


def test_dependants_wait_for_health(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        depends = services[name].get("depends_on") or {}
        assert isinstance(depends, dict), f"service {name}: depends_on needs conditions (long form)"
        needs = {"postgres"} | ({"redis", "migrate"} if name in LONG_RUNNING else set())
        for dep in sorted(needs):
            want = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            got = (depends.get(dep) or {}).get("condition")
            assert got == want, f"service {name} must wait for {dep} with condition {want}, got {got}"


def test_web_port_matches_bind(services: dict[str, Any], nginx_conf: str) -> None:
    bind = _option(_argv(services["web"]["command"], "web"), "--bind")
    port = bind.rsplit(":", 1)[1] if bind else None
    exposed = [str(p) for p in services["web"].get("expose") or []]
    assert port in exposed, f"web exposes {exposed} to nginx but gunicorn binds {bind}"
    upstream = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", nginx_conf, flags=re.M)
    assert upstream == [("web", port)], f"nginx's upstream {upstream} is not web:{port}"


# --- nginx in front of gunicorn ------------------------------------------------------------
NGINX_CONF = ROOT / "deploy" / "nginx" / "nginx.conf"
NGINX_CONF_IN_IMAGE = "/etc/nginx/nginx.conf"


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    assert NGINX_CONF.exists(), f"{NGINX_CONF} is missing"
    return NGINX_CONF.read_text(encoding="utf-8")


def _directives(conf: str, name: str) -> list[str]:
    """Values of an active (not commented) directive."""
    return [m.strip() for m in re.findall(rf"^\s*{name}\s+([^;#]*);", conf, flags=re.M)]


def _seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def _local_nginx() -> Any:
    spec = importlib.util.spec_from_file_location("bench_nginx", ROOT / "bench" / "_nginx.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_is_never_published(services: dict[str, Any]) -> None:
    assert not services["web"].get("ports"), \
        "web must not publish a port: slow clients would hold gunicorn's threads; nginx publishes"
    published = {n for n, svc in services.items() if svc.get("ports")}
    assert published == {"nginx"}, f"only nginx may publish ports, these do: {sorted(published)}"


def test_nginx_service_fronts_web(services: dict[str, Any], nginx_conf: str) -> None:
    nginx = services.get("nginx")
    assert nginx, "docker-compose.yml needs an nginx service in front of web"
    image = str(nginx.get("image", ""))
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+(-alpine)?", image), \
        f"nginx must be the official image with a pinned version (nginx:1.x.y), got {image!r}"
    depends = nginx.get("depends_on") or {}
    assert isinstance(depends, dict) and (depends.get("web") or {}).get("condition") == "service_healthy", \
        "nginx must wait for web's health check (depends_on web: condition service_healthy)"
    mounts = [str(v) for v in nginx.get("volumes") or []]
    assert any(m.split(":")[:2] == ["./deploy/nginx/nginx.conf", NGINX_CONF_IN_IMAGE] for m in mounts), \
        f"deploy/nginx/nginx.conf must be mounted at {NGINX_CONF_IN_IMAGE}, mounts: {mounts}"
    assert (nginx.get("healthcheck") or {}).get("test"), "nginx needs a healthcheck"
    ports = [str(p) for p in nginx.get("ports") or []]
    assert ports and ports[0].startswith("${REGOFFICE_PORT:-8000}:"), \
        f"nginx publishes the app's port REGOFFICE_PORT, got {ports}"
    listen = _directives(nginx_conf, "listen")
    assert listen and ports[0].rsplit(":", 1)[1] in listen[0].split(), \
        f"nginx publishes {ports[0]} but listens on {listen}"
    assert _environment(services["web"]).get("REGOFFICE_PROXY_HOPS") == "1", \
        "web sits behind one proxy: REGOFFICE_PROXY_HOPS=1 (X-Forwarded-For/-Proto from nginx)"


def test_nginx_buffers_and_limits_slow_clients(nginx_conf: str, tmp_path: Path) -> None:
    single = {name: _directives(nginx_conf, name) for name in (
        "client_header_timeout", "client_body_timeout", "send_timeout", "client_max_body_size",
        "proxy_buffering", "proxy_request_buffering", "proxy_read_timeout")}
    assert all(len(v) == 1 for v in single.values()), f"each set once in http: {single}"
    value = {k: v[0] for k, v in single.items()}
    assert value["proxy_buffering"] == "on" and value["proxy_request_buffering"] == "on"
    assert _seconds(value["client_header_timeout"]) <= 15, value
    assert _seconds(value["client_body_timeout"]) <= 60 and _seconds(value["send_timeout"]) <= 60, value
    import server.gunicorn_conf as gconf
    assert _seconds(value["proxy_read_timeout"]) > gconf.timeout, \
        "proxy_read_timeout must exceed gunicorn's default timeout, so gunicorn ends a slow request first"
    from server.app import create_app
    from server.config import Settings
    settings = Settings.from_env(instance_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}",
                                 secret_key="x", background="none", celery_broker_url=None)
    app = create_app(settings, background=False)
    try:
        limit = app.config["MAX_CONTENT_LENGTH"]
    finally:
        app.extensions["regoffice"].db.dispose()
    assert value["client_max_body_size"] == str(limit), \
        f"client_max_body_size {value['client_max_body_size']} must be the app's limit {limit} (bytes)"
    headers = dict(re.findall(r"^\s*proxy_set_header\s+(\S+)\s+(\S+);", nginx_conf, flags=re.M))
    assert headers.get("X-Forwarded-For") in {"$remote_addr", "$proxy_add_x_forwarded_for"}, headers
    assert headers.get("X-Forwarded-Proto") == "$scheme", headers
    assert headers.get("Host") == "$host", headers
    tls = re.search(r"^\s*#\s*ssl_certificate\s+/etc/nginx/certs/\S+;", nginx_conf, flags=re.M)
    assert tls, "TLS termination must be documented in the config (a commented server block)"


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
                    reason="nginx not installed (apt-get install nginx-light): `nginx -t` not run")
def test_nginx_config_is_valid(tmp_path: Path) -> None:
    local = _local_nginx()
    config = local.render_local(tmp_path, port=local.free_port(), upstream="127.0.0.1:8000")
    result = local.check(config, tmp_path)
    assert result.returncode == 0, f"nginx -t: {result.stderr}"


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists())
                    or not shutil.which("openssl"),
                    reason="nginx or openssl not installed: the documented TLS block is not checked")
def test_nginx_tls_block_is_valid(tmp_path: Path) -> None:
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    local = _local_nginx()
    port = local.free_port()
    config = local.render_local(tmp_path / "tls", port=port, upstream="127.0.0.1:8000",
                                tls=(local.free_port(avoid=(port,)), cert, key))
    text = config.read_text()
    assert re.search(r"^\s*listen 127\.0\.0\.1:\d+ ssl", text, flags=re.M), "TLS block not enabled"
    result = local.check(config, tmp_path / "tls")
    assert result.returncode == 0, f"nginx -t with the TLS block: {result.stderr}"


@pytest.mark.skipif(not shutil.which("docker-compose"),
                    reason="docker-compose (v1) not installed: `docker-compose config` not run")
def test_docker_compose_v1_config_accepts_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("SECRET_KEY=x\nPOSTGRES_PASSWORD=y\n")
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "--env-file", str(env_file),
                             "config", "-q"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr


# --- Dockerfile -----------------------------------------------------------------------------
def _dockerfile() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in lines if line and not line.startswith("#")]


def test_dockerfile_is_consistent(services: dict[str, Any]) -> None:
    assert DOCKERFILE.exists(), "Dockerfile is missing"
    steps = _dockerfile()
    by = lambda kind: [arg for k, arg in steps if k == kind]  # noqa: E731
    assert by("FROM") and by("FROM")[-1].startswith("python:3.11-slim"), "base image: python:3.11-slim"
    users = by("USER")
    assert users and users[-1] not in {"root", "0"}, "the image must run as a non-root USER"
    assert not by("ENTRYPOINT"), "an ENTRYPOINT would change how compose's commands run"
    cmd = by("CMD")
    assert cmd, "the Dockerfile needs a CMD (the web process)"
    argv = json.loads(cmd[-1])
    assert argv == _argv(services["web"]["command"], "web"), \
        f"Dockerfile CMD {argv} must equal the web service's command"
    _check_command(argv, "Dockerfile CMD")
    runs = " ".join(by("RUN"))
    assert "pip install -e ." in runs, \
        "install editable: the code finds migrations/ workflows/ forms/ next to server/ (config.ROOT)"
    workdir = by("WORKDIR")[-1] if by("WORKDIR") else None
    assert workdir, "the Dockerfile needs a WORKDIR holding the repository"
    assert any(a.split() in (([".", "."]), [".", workdir], [".", workdir + "/"]) for a in by("COPY")), \
        "the whole repository must be copied into the WORKDIR (`COPY . .`: one directory, layout kept)"
    exposed = {p.split("/")[0] for arg in by("EXPOSE") for p in arg.split()}
    bind = _option(argv, "--bind") or ""
    assert bind.rsplit(":", 1)[-1] in exposed, f"EXPOSE {exposed} does not include the bind port"


def test_package_provides_what_the_image_runs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"].get("regoffice") == "server.cli:main", "the regoffice script moved"
    assert any(re.match(r"gunicorn\b", d) for d in project["dependencies"]), \
        "gunicorn must be a runtime dependency (the web service runs it)"
    for folder in ("migrations", "workflows", "forms", "templates", "config"):
        assert (ROOT / folder).is_dir(), f"{folder}/ must stay at the repository root"


@pytest.mark.skipif(not shutil.which("docker"), reason="docker CLI not installed")
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    env_file = tmp_path / "env"
    env_file.write_text("SECRET_KEY=x\nPOSTGRES_PASSWORD=y\n")
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env_file),
                             "config", "-q"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
