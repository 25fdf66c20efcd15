"""Settings from `MEDCREDIT_*` environment variables, in one typed place behind a cached getter."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{DEFAULT_VAR_DIR / 'medcredit.db'}"


def _secret_from_file(var_dir: Path) -> str:
    """A development secret kept under var/ so tokens survive restarts; production sets one."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


JOB_SCHEDULE_PREFIX = "MEDCREDIT_JOB_SCHEDULE_"
SCHEDULER_MODES = ("embedded", "off")


def _scheduler_mode(value: str, database_url: str) -> str:
    """`auto` embeds the scheduler only for SQLite, the single-process default."""
    if value == "auto":
        return "embedded" if database_url.startswith("sqlite") else "off"
    if value not in SCHEDULER_MODES:
        raise ValueError(f"MEDCREDIT_SCHEDULER must be auto, embedded or off, not {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    # A streaming replica of a PostgreSQL primary: the partner feeds, verify, match and the
    # public pages read from it; every write (and every read inside one) stays on the primary.
    read_database_url: str | None = None
    secret_key: str = ""
    var_dir: Path = DEFAULT_VAR_DIR
    token_ttl_minutes: int = 60
    session_ttl_minutes: int = 30
    login_free_failures: int = 3
    login_max_lockout_seconds: int = 900
    api_key_rate_limit_per_minute: int = 600
    # Import uploads are streamed to disk under var_dir, so the limit guards the disk, not memory.
    import_max_bytes: int = 256 * 1024 * 1024
    # One evidence file of an objection or a repair (a scanned PDF or photo); kept under var_dir.
    evidence_max_bytes: int = 10 * 1024 * 1024
    debug: bool = False
    # embedded: the web process also runs the scheduler (the single-process SQLite default);
    # off: run `medcredit scheduler` as its own process (PostgreSQL, several web workers).
    scheduler: str = "off"
    # Evaluation profiles whose cycles start a run by themselves when a cycle ends.
    scheduled_evaluations: tuple[str, ...] = ()
    # Crontab overrides per job (Asia/Shanghai), from MEDCREDIT_JOB_SCHEDULE_<JOB>.
    job_schedules: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("MEDCREDIT_VAR_DIR", str(DEFAULT_VAR_DIR)))
        database_url = (
            env.get("MEDCREDIT_DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / 'medcredit.db'}"
        )
        return cls(
            database_url=database_url,
            read_database_url=env.get("MEDCREDIT_READ_DATABASE_URL") or None,
            secret_key=env.get("MEDCREDIT_SECRET_KEY") or _secret_from_file(var_dir),
            var_dir=var_dir,
            token_ttl_minutes=int(env.get("MEDCREDIT_TOKEN_TTL_MINUTES", "60")),
            session_ttl_minutes=int(env.get("MEDCREDIT_SESSION_TTL_MINUTES", "30")),
            login_free_failures=int(env.get("MEDCREDIT_LOGIN_FREE_FAILURES", "3")),
            login_max_lockout_seconds=int(env.get("MEDCREDIT_LOGIN_MAX_LOCKOUT_SECONDS", "900")),
            api_key_rate_limit_per_minute=int(
                env.get("MEDCREDIT_API_KEY_RATE_LIMIT_PER_MINUTE", "600")
            ),
            import_max_bytes=int(env.get("MEDCREDIT_IMPORT_MAX_BYTES", str(256 * 1024 * 1024))),
            evidence_max_bytes=int(env.get("MEDCREDIT_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))),
            debug=env.get("MEDCREDIT_DEBUG", "") in {"1", "true", "yes"},
            scheduler=_scheduler_mode(env.get("MEDCREDIT_SCHEDULER", "auto"), database_url),
            scheduled_evaluations=tuple(
                code.strip()
                for code in env.get("MEDCREDIT_SCHEDULED_EVALUATIONS", "").split(",")
                if code.strip()
            ),
            job_schedules={
                name.removeprefix(JOB_SCHEDULE_PREFIX).lower(): value
                for name, value in env.items()
                if name.startswith(JOB_SCHEDULE_PREFIX) and value.strip()
            },
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
