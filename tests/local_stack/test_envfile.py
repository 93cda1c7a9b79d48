"""The one env-file reader/writer (local_stack.envfile)."""

import stat

import pytest

from local_stack.envfile import EnvFileError, read_env_file, write_env_file


def test_round_trip_keeps_order_and_values(tmp_path):
    path = tmp_path / "local.env"
    values = {
        "FUNCTION_URL": "http://127.0.0.1:4321/",
        "WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/==",
        "TABLE_NAME": "webhook-transactions-dev",
        "EMULATOR_PID": "1234",
    }
    write_env_file(path, values)
    assert read_env_file(path) == values
    assert list(read_env_file(path)) == list(values)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reader_accepts_comments_export_and_quotes(tmp_path):
    path = tmp_path / "x.env"
    path.write_text("# comment\n\nexport A=1\nB='two'\nC=\"three\"\nnot a pair\nD = four \nA=5\n")
    assert read_env_file(path) == {"A": "5", "B": "two", "C": "three", "D": "four"}


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_env_file(tmp_path / "absent.env")


@pytest.mark.parametrize(
    ("key", "value"),
    [("A", "has space"), ("A", "$(reboot)"), ("A", "quote'"), ("A", "new\nline"), ("1A", "x"), ("A-B", "x")],
)
def test_writer_refuses_what_a_shell_would_interpret(tmp_path, key, value):
    path = tmp_path / "local.env"
    path.write_text("KEEP=1\n")
    with pytest.raises(EnvFileError):
        write_env_file(path, {key: value})
    assert path.read_text() == "KEEP=1\n"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["local.env"]
