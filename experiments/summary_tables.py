"""Markdown tables of the comparison summaries (for experiments/README.md).

    python experiments/summary_tables.py experiments/results/full4q_summary.csv experiments/results/full8q_summary.csv
"""

import csv
import sys


def main(paths: list[str]) -> None:
    for path in paths:
        rows = list(csv.DictReader(open(path)))
        print(f"\n`{path.split('/')[-1]}`\n")
        print("| task (pool, success rate) | method | seeds | budget | median queries to threshold | random, same budget "
              "| ratio | Mann-Whitney p (< random) | success rate | hits/100 (first 100) | final best (mean) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            p = r["mannwhitney_p_less_than_random"]
            print(f"| {r['task']} ({r['pool']}, {float(r['pool_success_rate']):.2%}) | {r['method']} | {r['seeds']} | {r['queries']} "
                  f"| {r['median_queries_to_threshold']} | {float(r['random_median_same_budget']):g} "
                  f"| {float(r['ratio_to_random_median']):.2f} | {p if p != 'nan' else ''} "
                  f"| {float(r['success_rate']):.2f} | {float(r['hits_per_100_first100']):.1f} | {float(r['final_best_mean']):.4f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
