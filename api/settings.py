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


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = ""
    var_dir: Path = DEFAULT_VAR_DIR
    token_ttl_minutes: int = 60
    session_ttl_minutes: int = 30
    login_free_failures: int = 3
    login_max_lockout_seconds: int = 900
    api_key_rate_limit_per_minute: int = 600
    # Import uploads are streamed to disk under var_dir, so the limit guards the disk, not memory.
    import_max_bytes: int = 256 * 1024 * 1024
    debug: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("MEDCREDIT_VAR_DIR", str(DEFAULT_VAR_DIR)))
        return cls(
            database_url=env.get("MEDCREDIT_DATABASE_URL")
            or f"sqlite+aiosqlite:///{var_dir / 'medcredit.db'}",
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
            debug=env.get("MEDCREDIT_DEBUG", "") in {"1", "true", "yes"},
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
