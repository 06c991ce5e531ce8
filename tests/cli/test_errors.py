"""A person's mistake, for every command: the real CLI in a subprocess prints exactly one line,
`error: <what and what to do>`, exits 2 and shows no traceback; --debug adds the traceback.
Stores and home are empty temp folders, so nothing needs a model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cli import main as cli
from smallbatch.errors import UserError

MISTAKES = {  # command line, words the error line must hold
    "models": (["models", "serve", "large"], "smallbatch models pull large"),
    "ingest": (["ingest", "/nonexistent", "--kb", "k"], "no such file or folder: /nonexistent"),
    "kb": (["kb", "rollback", "--kb", "k"], "nothing to roll back to"),
    "kb publish": (["kb", "publish", "--kb", "k"], "needs a SNAPSHOT id"),
    "gaps": (["gaps", "nope"], "'nope' has no published snapshot"),
    "serve": (["serve", "--kb", "k"], "model 'tiny' is not in the catalog"),
    "serve no kb": (["serve", "--kb", "nope"], "knowledge base 'nope' does not exist"),
    # the cheap checks come before any model server is asked or started
    "serve bad port": (["serve", "--kb", "nope", "--port", "99999"], "port 99999 is out of range"),
    "models serve bad port": (["models", "serve", "small", "--port", "0"], "out of range"),
    "keys": (["keys", "revoke", "bob"], "no active key named 'bob'"),
    "ask": (["ask", "--kb", "nope", "what?"], "smallbatch ingest PATH --kb nope"),
    "ask --api": (["ask", "--api", "http://127.0.0.1:9/v1", "what?"], "smallbatch serve"),
    "eval run": (["eval", "run", "missing.toml"], "cannot read missing.toml"),
    "eval testset": (["eval", "testset", "/nonexistent", "--out", "t.jsonl"], "no such file"),
    "tune": (["tune", "--kb", "nope", "--dev", "dev.jsonl"], "'nope' has no published snapshot"),
    "reader build": (["reader", "build", "--kb", "nope"], "'nope' has no published snapshot"),
    "reader eval": (["reader", "eval", "--kb", "nope"], "adapter refused"),
}


ENV = {"serve": {"SMALLBATCH_SMALL__MODEL": "tiny"}}  # a small model outside the catalog
KBS = {"serve": "k"}  # knowledge bases that exist (empty) for the command


def smallbatch(tmp_path, *argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`smallbatch ARGV` on empty stores and home, with no SMALLBATCH_ variable but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMALLBATCH_")}
    clean.update(SMALLBATCH_STORES=str(tmp_path / "stores"), SMALLBATCH_HOME=str(tmp_path / "home"),
                 HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "cli.main", *argv], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", MISTAKES)
def test_a_mistake_is_one_error_line_and_exit_2(tmp_path, command):
    argv, words = MISTAKES[command]
    (tmp_path / "dev.jsonl").write_text(json.dumps(
        {"id": "q1", "question": "Capital of France?", "answers": ["Paris"]}) + "\n")
    if command in KBS:
        (tmp_path / "stores" / KBS[command]).mkdir(parents=True)
    done = smallbatch(tmp_path, *argv, env=ENV.get(command))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert words in lines[0] and "Traceback" not in done.stderr


@pytest.mark.parametrize("argv", [["--debug", "ask", "--kb", "nope", "q"],
                                  ["ask", "--kb", "nope", "q", "--debug"]])
def test_debug_shows_the_traceback_then_the_error_line(tmp_path, argv):
    done = smallbatch(tmp_path, *argv)
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert "NoSnapshot" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: knowledge base 'nope'")


def test_a_usage_error_is_argparse_s_exit_2(tmp_path):
    done = smallbatch(tmp_path, "kb", "frobnicate")
    assert done.returncode == 2 and "invalid choice: 'frobnicate'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bug_keeps_its_traceback(monkeypatch, capsys):
    """Only UserError is a person's mistake: any other exception propagates."""
    def bug(args, s):
        raise KeyError("a bug")

    def mistake(args, s):
        raise UserError("bad thing\n  do this instead")

    monkeypatch.setattr("cli.groups.keys.run", bug)
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["keys", "list"])
    monkeypatch.setattr("cli.groups.keys.run", mistake)
    assert cli.main(["keys", "list"]) == 2
    assert capsys.readouterr().err == "error: bad thing\n  do this instead\n"


def test_a_setting_that_does_not_parse_is_named(tmp_path):
    done = smallbatch(tmp_path, "kb", "list", env={"SMALLBATCH_API_PORT": "eighty"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: settings from the environment: 1 validation error")
    assert "api_port" in done.stderr
