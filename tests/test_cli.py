"""The command line, run as a user would: as a subprocess."""

import json
import re
import subprocess
import sys

import cirq

from qas import CircuitDAG
from qas.core.cirq_io import to_cirq


def qas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qas", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_commands():
    r = qas("--help")
    assert r.returncode == 0
    assert "space" in r.stdout
    for command in ("search", "evaluate", "verify", "predict", "export", "show"):  # rich markup in a help text crashed
        r = qas(command, "--help")
        assert r.returncode == 0 and "Traceback" not in r.stderr, (command, r.stderr[-300:])


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


def test_search_cli_errors_exit_2(tmp_path):
    cases = [
        (["search", "--task", "nonsense"], "unknown task 'nonsense'"),
        (["search", "--task", "fashionmnist", "--agent", "genius"], "unknown agent 'genius'"),
        (["search", "--task", "fashionmnist", "--space", "paper-9q", "--budget", "1", "--out", str(tmp_path / "x")],
         "unknown search space 'paper-9q'"),
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text("budget = 'many'\n")
    cases.append((["search", "--config", str(bad)], "budget must be int"))
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[search]\nbudgte = 3\n")
    cases.append((["search", "--config", str(unknown)], "unknown key(s) ['budgte']"))
    broken = tmp_path / "broken.toml"
    broken.write_text("[search\n")
    cases.append((["search", "--config", str(broken)], "not valid TOML"))
    for args, message in cases:
        r = qas(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in " ".join(r.stderr.split()), (args, r.stderr)  # rich wraps at the terminal width
        assert "Traceback" not in r.stderr


def test_evaluate_cli_prints_qsim_scores_and_baseline():
    r = qas("evaluate", "--task", "fashion-2", "--circuit", "u3cu3:1", "--epochs", "1", "--train-limit", "300")
    assert r.returncode == 0, r.stderr
    assert "test_accuracy" in r.stdout and "val_accuracy" in r.stdout
    assert "logistic regression" in r.stdout


def test_evaluate_cli_bad_circuit_file(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text('{"schema": "qas.circuit", "version": 1, "num_qubits": 4, "gates": [{"kind": "FOO", "qubits": [0]}]}')
    r = qas("evaluate", "--task", "fashion-2", "--circuit", str(bad))
    assert r.returncode == 2 and "unknown gate 'FOO'" in r.stderr
    r = qas("evaluate", "--task", "fashion-2", "--circuit", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "neither a file nor a hand-designed ansatz" in " ".join(r.stderr.split())
    r = qas("evaluate", "--task", "vqe-h2", "--circuit", "u3cu3:1", "--space", "qml-10q")
    assert r.returncode == 2 and "10 qubits but task" in " ".join(r.stderr.split())


def test_search_export_show_verify_end_to_end(tmp_path):
    """A tiny real fashion-2 search, then every command that reads its run directory."""
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        '[search]\ntask = "fashionmnist"\nagent = "evolution"\nbudget = 3\ntrain_limit = 200\nworkers = 1\n'
        "[search.task_options]\nval_limit = 100\ntest_limit = 150\n"
        "[search.train]\nepochs = 1\n[search.final_train]\nepochs = 1\n"
    )
    run = tmp_path / "run"
    r = qas("search", "--config", str(cfg), "--out", str(run))
    assert r.returncode == 0, r.stderr
    assert "logistic regression" in r.stdout and "hand-designed u3cu3:2" in r.stdout
    for name in ("config.toml", "best.json", "best_cirq.json", "best.qasm", "leaderboard.csv", "search_curve.png", "report.md"):
        assert (run / name).is_file(), name
    # the top 3 and the hand-designed ansätze of the space are retrained alike; the one best on
    # validation is kept (never chosen on test), in finalists.json and in the report's table
    from qas.search.outputs import read_finalists

    doc = read_finalists(run)
    rows = doc["finalists"]
    # what the run spent, from its records (so a resume or a cache hit keeps it)
    assert doc["cost"]["evaluations"] == 3 and doc["cost"]["search_cpu_hours"] > 0 and doc["cost"]["final_round_cpu_hours"] > 0
    assert [r["origin"] for r in rows] == ["searched"] * 3 + ["hand-designed"] * 2
    assert [r["trial"] for r in rows][3:] == ["hand-designed u3cu3:2", "hand-designed hea:2"]
    assert sum(r["chosen"] for r in rows) == 1
    chosen = next(r for r in rows if r["chosen"])
    assert chosen["val_score"] == max(r["val_score"] for r in rows)
    assert all(CircuitDAG.from_dict(r["circuit"]).key == r["key"] for r in rows)
    best = json.loads((run / "best.json").read_text())
    assert (best["metrics"]["val_score"], best["metrics"]["test_score"]) == (chosen["val_score"], chosen["test_score"])
    assert CircuitDAG.from_dict(best["circuit"]).key == chosen["key"]
    report = (run / "report.md").read_text()
    table = [r.split("|")[1:-1] for r in report.split("## Finalists")[1].split("\n\n")[1].splitlines()[2:]]
    assert [r[4].strip() == "yes" for r in table] == [r["chosen"] for r in rows]
    circuit = cirq.read_json(json_text=qas("export", str(run), "--format", "cirq").stdout)
    assert cirq.is_parameterized(circuit)  # the features x_i stay symbols; trained angles are numbers
    assert all(s.name.startswith("x_") for s in cirq.parameter_symbols(circuit))
    qasm = qas("export", str(run), "--format", "qasm").stdout
    assert "OPENQASM 2.0;" in qasm and "data-encoding" in qasm
    shown = qas("show", str(run))
    assert shown.returncode == 0 and "test_accuracy" in shown.stdout
    final_rows = [line for line in shown.stdout.split("final round")[1].splitlines() if "│" in line]
    assert len(final_rows) == 5 and sum(line.rstrip(" │").endswith("yes") for line in final_rows) == 1
    assert "hand-designed u3cu3:2" in final_rows[3] and f"{chosen['val_score']:.2%}" in shown.stdout
    verified = qas("verify", str(run))
    assert verified.returncode == 0 and "cirq.Simulator" in verified.stdout, verified.stderr
    from qas.verify import verify_run

    check = verify_run(run)
    assert check["inputs"] == 150
    assert abs(check["difference"]) <= 1 / 150 + 1e-9  # at most one borderline input flips (float32 qsim)


def test_evaluate_passes_task_options_and_refuses_bad_ones():
    base = ("evaluate", "--task", "fashion-2", "--circuit", "u3cu3:1", "--train-limit", "64", "--epochs", "1",
            "--splits", "val", "--no-baseline")
    r = qas(*base, "--task-option", "val_limit=40", "--task-option", "logit_scale=1")
    assert r.returncode == 0, r.stderr
    assert re.search(r"val_n\s+│\s+40\s", r.stdout), r.stdout  # 40 validation images scored
    r = qas(*base, "--task-option", "val_limit")
    assert r.returncode == 2 and "expected KEY=VALUE" in r.stderr
    r = qas(*base, "--task-option", "bogus=1")
    assert r.returncode == 2 and "bogus" in r.stderr and "Traceback" not in r.stderr
    r = qas(*base, "--task-option", "logit_scale=-1")
    assert r.returncode == 2 and "logit_scale must be positive" in r.stderr


def test_search_warm_starts_from_a_qasm_file(tmp_path):
    """A researcher's own OpenQASM circuit seeds evolution, or the default search in place of the
    hand-designed baselines; it is labelled a seed, never a find."""
    seed = tmp_path / "mine.qasm"
    seed.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\n'
                    "h q[0];\nh q[1];\ncx q[0],q[2];\ncx q[1],q[3];\nry(0.3) q[0];\nrz(0.2) q[1];\n"
                    "h q[2];\nh q[3];\ncx q[2],q[3];\nx q[0];\n")
    cfg = tmp_path / "tiny.toml"
    cfg.write_text('[search]\ntask = "state-prep"\nagent = "evolution"\nbudget = 3\nworkers = 1\nfinal = false\n'
                   "[search.train]\nsteps = 10\npatience = 0\n[search.agent_options]\npopulation = 2\n")
    run = tmp_path / "run"
    r = qas("search", "--config", str(cfg), "--seed-circuits", str(seed), "--out", str(run))
    assert r.returncode == 0, r.stderr
    from qas.search import SearchConfig
    from qas.search.config import load_config
    from qas.search.runner import completed_trials, prepare

    saved = load_config(run / "config.toml")
    assert saved["agent"] == "evolution" and saved["agent_options"]["seed_circuits"] == [str(seed.resolve())]
    trials = completed_trials(prepare(SearchConfig(**saved), run).study)
    seeded = [t for t in trials if t.user_attrs["agent_info"].get("op") == "seed"]
    assert len(trials) == 3 and len(seeded) == 1
    assert len(CircuitDAG.from_json(seeded[0].user_attrs["circuit"]).gates) == 10
    default, plain = tmp_path / "default", tmp_path / "plain.toml"
    plain.write_text('[search]\ntask = "state-prep"\nbudget = 2\nworkers = 1\nfinal = false\n'
                     "[search.train]\nsteps = 10\npatience = 0\n")
    r = qas("search", "--config", str(plain), "--seed-circuits", str(seed), "--out", str(default))
    assert r.returncode == 0, r.stderr
    saved = load_config(default / "config.toml")
    assert saved["agent"] == "bo-pool"
    assert saved["agent_options"] == {"mutants": 64, "seed_circuits": [str(seed.resolve())]}
    first = min(completed_trials(prepare(SearchConfig(**saved), default).study), key=lambda t: t.number)
    assert first.user_attrs["agent_info"] == {"op": "seed", "spec": str(seed.resolve())}
    r = qas("search", "--task", "state-prep", "--agent", "random", "--seed-circuits", str(seed), "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "warm-starts the default search, evolution or bo-pool, not random" in " ".join(r.stderr.split())
    r = qas("search", "--task", "state-prep", "--seed-circuits", str(tmp_path / "nope.qasm"), "--out", str(tmp_path / "y"))
    assert r.returncode == 2 and "no file" in r.stderr and not (tmp_path / "y").exists()
