"""The user's own data: every input format, every bad-data case, and the stored preprocessing.

Real data from scikit-learn (iris, wine, diabetes), written to CSV and NPZ files as a user
would; bad files get a one-line error naming the file, row or column, and the CLI writes
nothing to the run directory.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, load_wine

import qas
from qas.tasks import Classification, DataError, DataTask, Preprocessing, Regression, build_task, read_data


def write_csv(path, header, rows):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def iris():
    return load_iris()


@pytest.fixture
def iris_csv(tmp_path, iris):
    rows = [list(x) + [iris.target_names[y]] for x, y in zip(iris.data, iris.target)]
    return write_csv(tmp_path / "iris.csv", list(iris.feature_names) + ["species"], rows)


# -- formats ------------------------------------------------------------------------------------
def test_csv_with_string_labels(iris_csv, iris):
    task = build_task("data", data=iris_csv, target="species")
    assert isinstance(task, Classification)
    assert task.classes == ("setosa", "versicolor", "virginica")
    assert task.feature_names == tuple(iris.feature_names)
    sizes = [len(task.split(s).targets) for s in ("train", "val", "test")]
    assert sum(sizes) == 150 and sizes == [96, 24, 30]
    # stratified: every split holds every class in proportion
    for s in ("train", "val", "test"):
        counts = np.bincount(task.split(s).targets, minlength=3)
        assert counts.max() - counts.min() <= 1


def test_csv_feature_subset_and_test_file(tmp_path, iris):
    rows = [list(x) + [int(y)] for x, y in zip(iris.data, iris.target)]
    header = ["a", "b", "c", "d", "label"]
    train = write_csv(tmp_path / "train.csv", header, rows[::2])
    test = write_csv(tmp_path / "test.csv", header, rows[1::2])
    task = build_task("data", data=train, target="label", test=test, features="a,c")
    assert task.feature_names == ("a", "c") and task.classes == (0, 1, 2)
    assert len(task.split("test").targets) == 75  # the given test file, whole
    assert task.test_source == "given"


def test_npz_both_layouts(tmp_path, iris):
    split = tmp_path / "split.npz"
    order = np.random.default_rng(0).permutation(150)
    x, y = iris.data[order], iris.target[order]
    np.savez(split, x_train=x[:100], y_train=y[:100], x_test=x[100:], y_test=y[100:])
    flat = tmp_path / "flat.npz"
    np.savez(flat, X=iris.data, y=iris.target)
    a = build_task("data", data=split)
    assert len(a.split("test").targets) == 50 and a.test_source == "given"
    b = build_task("data", data=flat)
    assert len(b.split("test").targets) == 30


def test_arrays_and_pandas_give_the_same_task(iris):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(iris.data, columns=iris.feature_names)
    a = Classification(iris.data, iris.target, features=iris.feature_names)
    b = Classification(frame, pd.Series(iris.target))
    assert a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(a.split("val").features, b.split("val").features)


def test_target_kind_picks_classification_or_regression():
    d = load_diabetes()
    assert isinstance(DataTask(d.data, d.target), Regression)
    assert isinstance(DataTask(d.data, (d.target > 140).astype(int)), Classification)


def test_saved_task_rebuilds_identically(tmp_path, iris):
    labels = np.array(iris.target_names)[iris.target]
    task = Classification(iris.data, labels, X_test=iris.data[:20], y_test=labels[:20], label="iris")
    name, options = task.saved(tmp_path)
    again = build_task(name, **options)
    assert again.fingerprint == task.fingerprint and again.classes == task.classes
    for s in ("train", "val", "test"):
        np.testing.assert_array_equal(again.split(s).features, task.split(s).features)


# -- choices made from the data ---------------------------------------------------------------------
def test_choices_from_the_data_are_in_config_and_overridable():
    d = load_wine()
    task = Classification(d.data, d.target)
    cfg = task.config()
    assert cfg["qubits"] == 4 and cfg["circuit_features"] == 13 and cfg["reuploads"] == 3 and cfg["weighted"]
    assert task.space.num_qubits == 4 and task.space.encoding.num_features == 13
    small = Classification(d.data, d.target, qubits=3, reuploads=1, weighted=False, scaling="standard")
    assert small.num_qubits == 3 and small.num_features == 12  # 3 qubits x 4 rotation layers: PCA to 12
    assert small.preprocessing.components is not None and small.space.reuploads == 1
    assert "PCA" in " ".join(small.describe())


def test_preprocessing_is_fitted_on_the_training_split_only():
    d = load_wine()
    task = Classification(d.data, d.target)
    train = task.preprocessing.transform(task.raw["train"][0])
    assert np.allclose(train.min(0), 0) and np.allclose(train.max(0), np.pi)  # the training range onto [0, pi]
    test = task.preprocessing.transform(task.raw["test"][0])
    assert not (np.allclose(test.min(0), 0) and np.allclose(test.max(0), np.pi))
    again = Preprocessing.from_dict(json.loads(json.dumps(task.preprocessing.to_dict())))
    np.testing.assert_array_equal(again.transform(task.raw["test"][0]), test)


def test_more_classes_than_qubits_use_the_born_readout():
    task = Classification(load_iris().data, load_iris().target, qubits=2)
    assert task.born and task.readout.kind == "state"
    dag = qas.build_ansatz("hea:1", task.space)
    rec = qas.evaluate(dag, task, qas.TrainConfig(epochs=2))
    assert 0.0 <= rec.metrics["val_score"] <= 1.0 and rec.metrics["val_n"] == 24


# -- bad data: one line naming the place and the fix ------------------------------------------------
@pytest.mark.parametrize("rows, message", [
    ([["1", "2", "a"], ["x", "3", "b"]], r"bad\.csv row 3 column 'f1': 'x' is not a number"),
    ([["1", "2", "a"], ["", "3", "b"]], r"bad\.csv row 3 column 'f1': missing value"),
    ([["1", "2", "a"], ["nan", "3", "b"]], r"bad\.csv row 3 column 'f1': nan is not a finite number"),
    ([["1", "inf", "a"], ["2", "3", "b"]], r"bad\.csv row 2 column 'f2': inf is not a finite number"),
    ([["1", "2", "a"], ["2", "3", "a"]], r"has one class \('a'\)"),
    ([["1", "2", "a"], ["2", "3"]], r"bad\.csv row 3: 2 values but the header has 3 columns"),
])
def test_bad_csv(tmp_path, rows, message):
    path = write_csv(tmp_path / "bad.csv", ["f1", "f2", "label"], rows)
    with pytest.raises(DataError, match=message) as err:
        build_task("data", data=path, target="label")
    assert "\n" not in str(err.value)


def test_bad_files(tmp_path, iris_csv):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty.csv is empty"):
        build_task("data", data=empty, target="y")
    with pytest.raises(DataError, match="no column 'kind' for the target; the columns are"):
        build_task("data", data=iris_csv, target="kind")
    other = write_csv(tmp_path / "other.csv", ["a", "b", "species"], [[1, 2, "setosa"]])
    with pytest.raises(DataError, match="no feature column"):
        build_task("data", data=iris_csv, target="species", test=other)
    nan = tmp_path / "nan.npz"
    x = np.ones((10, 2))
    x[4, 1] = np.nan
    np.savez(nan, X=x, y=np.arange(10) % 2)
    with pytest.raises(DataError, match=r"nan.npz\[X\] row 4 'x1': nan is not a finite number"):
        build_task("data", data=nan)
    with pytest.raises(DataError, match="5 classes but 2 qubits read at most 4"):
        Classification(np.random.default_rng(0).normal(size=(100, 3)), np.arange(100) % 5, qubits=2)


def test_test_file_with_other_columns_or_unseen_labels(tmp_path, iris):
    header = ["a", "b", "c", "d", "label"]
    rows = [list(x) + [int(y)] for x, y in zip(iris.data, iris.target)]
    train = write_csv(tmp_path / "train.csv", header, rows)
    swapped = write_csv(tmp_path / "swapped.csv", ["a", "b", "c", "e", "label"], rows)
    with pytest.raises(DataError, match="no feature column"):
        build_task("data", data=train, target="label", test=swapped)
    unseen = write_csv(tmp_path / "unseen.csv", header, [rows[0][:4] + [7]])
    with pytest.raises(DataError, match=r"label\(s\) \['7'\] never occur in the training data"):
        build_task("data", data=train, target="label", test=unseen)


def _qas(*args, cwd):
    return subprocess.run([sys.executable, "-m", "qas", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_cli_bad_data_is_one_line_and_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["f1", "f2", "label"], [["1", "2", "a"], ["oops", "3", "b"]])
    res = _qas("search", "--data", str(path), "--target", "label", "--budget", "2", "--out", "run", "--workers", "1",
               cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "row 3 column 'f1': 'oops' is not a number" in res.stderr
    assert not (tmp_path / "run").exists()


# -- a whole run, and the stored scaling applied to new rows --------------------------------------
def test_search_on_a_csv_then_verify_and_predict_apply_the_stored_scaling(tmp_path, iris_csv, iris):
    out = tmp_path / "run"
    quick = tmp_path / "quick.toml"  # a short final round: this test is about the files, not the accuracy
    quick.write_text("[search]\nfinal_candidates = 1\n[search.train]\nepochs = 2\n[search.final_train]\nepochs = 3\n")
    res = _qas("search", "--data", str(iris_csv), "--target", "species", "--budget", "2", "--agent", "random",
               "--out", str(out), "--task-option", "max_qubits=3", "--config", str(quick), "--workers", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    best = json.loads((out / "best.json").read_text())
    assert best["io"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert best["io"]["preprocessing"]["scaling"] == "minmax"
    assert (out / "circuit.png").exists() and (out / "circuit.svg").exists()
    report = (out / "report.md").read_text()
    assert "logistic regression" in report and "MLP" in report and "two-qubit gates" in report
    # verify re-scores the test split from best_cirq.json with the stored preprocessing
    res = _qas("verify", str(out), cwd=tmp_path)
    assert res.returncode == 0 and "difference +0.00e+00" in res.stdout.replace("-0.00e+00", "+0.00e+00"), res.stdout
    # predict: raw rows of new data through the stored preprocessing, on qsim
    rows = write_csv(tmp_path / "new.csv", list(iris.feature_names), [list(x) for x in iris.data[:6]])
    res = _qas("predict", str(out), "--data", str(rows), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    predicted = res.stdout.split()
    assert len(predicted) == 6 and set(predicted) <= {"setosa", "versicolor", "virginica"}
    # the same predictions, with the stored numbers applied by hand and the circuit on cirq
    import cirq

    pre = Preprocessing.from_dict(best["io"]["preprocessing"])
    circuit = cirq.read_json(json_text=(out / "best_cirq.json").read_text())
    task = build_task("data", data=iris_csv, target="species", max_qubits=3)
    from qas.backends import readout_of_states

    states = [cirq.Simulator(dtype=np.complex128).simulate(
        circuit, {f"x_{i}": v for i, v in enumerate(row)}, qubit_order=cirq.LineQubit.range(3)).final_state_vector
        for row in pre.transform(iris.data[:6])]
    by_hand = task.predictions(readout_of_states(np.stack(states), task.readout, 3), {})
    assert list(by_hand) == predicted


def test_python_api_regression_result(tmp_path):
    d = load_diabetes()
    task = Regression(d.data[:200], d.target[:200], label="diabetes200", qubits=2, reuploads=1)
    result = qas.search(task=task, budget=2, agent="random", run_dir=tmp_path / "run", progress=False,
                        final_candidates=1, final_train={"epochs": 3})
    assert result.run_dir == tmp_path / "run" and result.circuit.num_qubits == 2
    assert len(result.params) == result.circuit.num_params
    assert {"val_r2", "test_rmse", "val_readout_scale"} <= set(result.scores)
    pred = result.predict(d.data[:5])
    assert pred.shape == (5,) and np.isfinite(pred).all()
    # the prediction is the scale and offset on the mean <Z>, in the target's units
    assert abs(pred.mean() - d.target[:200].mean()) < 3 * d.target.std()
    assert str(result.to_cirq()).count("x_") > 0
