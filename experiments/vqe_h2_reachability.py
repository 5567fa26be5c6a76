"""Is chemical accuracy for vqe-h2 reachable in paper-4q under the labelling protocol?

A hand-built 10-gate, depth-3 circuit of the space prepares cos|0011> + sin|1100> (the
double excitation that H2 needs beyond Hartree-Fock). Trained with the same TrainConfig as
the tabular benchmark (50 Adam steps, lr 0.1) over 5 seeds.

    python experiments/vqe_h2_reachability.py
"""

from qas import CircuitDAG, Gate, TrainConfig, evaluate
from qas.tasks import make_task
from search_spaces import load_space


def main() -> None:
    G = lambda k, q, r="none": Gate(k, q, role=r)  # noqa: E731
    d = CircuitDAG(4, [G("RY", (0,), "trainable"), G("X", (2,)), G("CNOT", (0, 2)), G("CNOT", (0, 1)), G("CNOT", (2, 3))]
                   + [G("RZ", (q % 4,), "trainable") for q in range(5)])
    print("in paper-4q:", not load_space("paper-4q").problems(d), "depth", d.depth)
    t = make_task("vqe-h2")
    for seed in range(5):
        r = evaluate(d, t, TrainConfig(steps=50, lr=0.1, seed=seed))
        print(f"seed {seed}: E/E0 {r.score:.5f}  error {r.metrics['val_error_mha']:.3f} mHa  chemical accuracy {bool(r.metrics['val_chemical_accuracy'])}")


if __name__ == "__main__":
    main()
