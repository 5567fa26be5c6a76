"""The command line, run as a user would: as a subprocess."""

import json
import subprocess
import sys

import cirq

from qas import CircuitDAG
from qas.cirq_io import to_cirq


def qas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qas", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_commands():
    r = qas("--help")
    assert r.returncode == 0
    assert "space" in r.stdout


def test_unknown_option_exits_2_with_message():
    r = qas("space", "sample", "--space", "paper-4q", "--bogus")
    assert r.returncode == 2
    assert "No such option: --bogus" in r.stderr


def test_unknown_space_exits_2_with_choices():
    r = qas("space", "sample", "--space", "paper-5q")
    assert r.returncode == 2
    assert "unknown search space 'paper-5q'" in r.stderr and "paper-4q" in r.stderr
    assert "Traceback" not in r.stderr


def test_sample_is_reproducible_and_exports_to_cirq():
    a = qas("space", "sample", "--space", "paper-4q", "-n", "5", "--seed", "1")
    b = qas("space", "sample", "--space", "paper-4q", "-n", "5", "--seed", "1")
    assert a.returncode == 0 and a.stdout == b.stdout
    dags = [CircuitDAG.from_json(line) for line in a.stdout.splitlines()]
    assert len(set(dags)) == 5
    for dag in dags:
        assert cirq.read_json(json_text=cirq.to_json(to_cirq(dag))) == to_cirq(dag)


def test_sample_to_file(tmp_path):
    out = tmp_path / "pool.jsonl"
    r = qas("space", "sample", "--space", "qml-4q", "-n", "200", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 200 and len({CircuitDAG.from_json(x).key for x in lines}) == 200
    assert json.loads(lines[0])["schema"] == "qas.circuit"
