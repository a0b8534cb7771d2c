"""The command line: only --version so far, and it says so."""

import subprocess
import sys

import mlpkit


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "mlpkit", *args], capture_output=True, text=True, timeout=60
    )


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mlpkit {mlpkit.__version__}"


def test_no_command_yet_says_so_and_fails():
    result = run()
    assert result.returncode == 2
    assert "No subcommands exist yet" in result.stderr


def test_unknown_argument_is_a_usage_error():
    result = run("run")
    assert result.returncode == 2
    assert "unrecognized arguments: run" in result.stderr
