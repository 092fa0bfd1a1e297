"""A setting the environment gives that the app cannot use stops a command with the variable named and
what it must be (exit 2), never a traceback, and before anything is served or written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("variable", "value", "command", "says"),
    [
        ("PREVENT_IG_WEB_SESSION_HOURS", "0", ["serve"], "greater than or equal to 1"),
        ("PREVENT_IG_WEB_IDLE_TIMEOUT_MINUTES", "forever", ["serve"], "a valid integer"),
        ("PREVENT_IG_DATABASE_POOL_SIZE", "abc", ["db", "upgrade"], "a valid integer"),
        ("PREVENT_IG_SMTP_PORT", "twenty-five", ["mail", "worker"], "a valid integer"),
    ],
)
def test_a_bad_setting_is_named_with_what_it_must_be(
    tmp_path: Path, variable: str, value: str, command: list[str], says: str
) -> None:
    env = {**os.environ, "PREVENT_IG_DATA_DIR": str(tmp_path), variable: value}
    env.pop("PREVENT_IG_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "prevent_ig", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert f"{variable}: Input should be" in result.stderr and says in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no audit key: nothing made before the refusal
