"""Parts the service tests start for real and stop after: redis-server, workers, `pep-docs serve`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll until `condition()` is truthy; fail with `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class RedisServer:
    """A real Debian redis-server on a free loopback port, persistence on (append-only file)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is installed by scripts/install-system-packages.sh"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--maxmemory-policy", "noeviction", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping, 20, "redis-server to answer")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # redis flushes the append-only file
            self.process.wait(timeout=20)
        self.process = None


def service_env(data_dir: Path, **settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEP_DOCS_")}
    env["PEP_DOCS_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    for key, value in settings.items():
        env[f"PEP_DOCS_{key.upper()}"] = str(value)
    return env


def pep_docs(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pep_docs", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **kwargs)  # fmt: skip


def add_user(env: dict[str, str], email: str, authority: str, *, token: bool = True) -> str:
    done = pep_docs("users", "add", email, "--authority", authority,
                    *(["--api-token"] if token else []), env=env,
                    input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@contextmanager
def process(
    args: list[str], env: dict[str, str], log: Path, wrapper: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """A `pep-docs` process in its own process group (so a kill takes its children too)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen([*wrapper, sys.executable, "-m", "pep_docs", *args], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def api(base: str, token: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """A JSON API call with the standard library only (what another system would do)."""
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    request = urllib.request.Request(base + path, method=method, headers=headers, **kwargs)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(body) if "json" in kind else body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "pepdocs" + os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())  # fmt: skip
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(base: str, token: str, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    body, kind = multipart({}, [("file", name, data) for name, data in files])
    status, answer = api(base, token, "POST", "/api/v1/returns", data=body,
                         headers={"Content-Type": kind})  # fmt: skip
    assert status == 202, answer
    return answer["returns"]


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs: Debian's newest /usr/lib/postgresql/<N>/bin,
    else wherever `initdb` is on the PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(re.sub(r"\D", "", p.parents[1].name) or 0))  # fmt: skip
    found = debian[-1] if debian else shutil.which("initdb")
    if not found:
        raise AssertionError(
            "PostgreSQL's initdb and postgres were not found (looked in "
            "/usr/lib/postgresql/*/bin and on the PATH): run scripts/install-system-packages.sh"
        )
    return Path(found).parent


class PostgresServer:
    """A throwaway PostgreSQL cluster in its own folder, made by `initdb` and served by
    `postgres` on a Unix socket in that folder only (no TCP port); removed by `stop`.

    PostgreSQL refuses to run as root, so as root (CI) the cluster belongs to the `postgres`
    user that Debian's package makes, and its programs run as that user.
    """

    USER = "pepdocs"  # the cluster's superuser; trusted, as only its socket's folder reaches it

    def __init__(self) -> None:
        import tempfile

        self.bin = postgres_bin()
        owner = None
        if os.geteuid() == 0:
            import pwd

            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise AssertionError(
                    "running as root, but there is no `postgres` user to run PostgreSQL as: "
                    "run scripts/install-system-packages.sh"
                ) from None
        # In /tmp: the `postgres` user must reach it, and a Unix socket's path is limited to
        # about 100 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="pep-docs-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.as_user: tuple[str, ...] = ()
        if owner is not None:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ("runuser", "-u", "postgres", "--")
        self.databases = 0

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bin / program), *args], cwd=self.folder,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        assert done.returncode == 0, f"{program} {' '.join(args)}:\n{done.stderr}{log}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", self.USER, "--auth=trust",
                  "--encoding=UTF8", "--no-locale", "--no-sync")  # fmt: skip
        # Durability is not tested here: no fsync makes the cluster quick to fill and stop.
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.folder}' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.USER}@/{database}?host={self.folder}"

    def new_database(self) -> str:
        """A new, empty database; the URL of it."""
        import psycopg

        self.databases += 1
        name = f"pep_docs_{self.databases}"
        with psycopg.connect(dbname="postgres", user=self.USER, host=str(self.folder),
                             autocommit=True) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
