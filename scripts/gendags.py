#!/usr/bin/env python3
"""Write N realistic Airflow DAG files (classic and TaskFlow, with helpers,
default_args, templated operators, SQL, docstrings; 4-8 KB each, like real
DAG repositories, and 1 in 10 a small helper module) into a folder, for
benchmarks.
Usage: gendags.py DIR N"""
import os
import sys

CLASSIC = '''"""Pipeline {i}: extract {src} into the warehouse, then report.

Owned by team {team}. Runs {sched}.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator

SOURCE = "{src}"
RETRIES = {retries}

default_args = {{
    "owner": "{team}",
    "retries": RETRIES,
    "retry_delay": timedelta(minutes={delay}),
    "email_on_failure": False,
}}


def _transform(ds: str, **context) -> dict:
    rows = [{{"day": ds, "value": n * {i}}} for n in range(10)]
    total = sum(r["value"] for r in rows)
    return {{"rows": len(rows), "total": total, "source": SOURCE}}


def _check(ti, **_):
    result = ti.xcom_pull(task_ids="transform")
    if result["rows"] == 0:
        raise ValueError(f"no rows for {{SOURCE}}")


with DAG(
    dag_id="pipeline_{i:05d}",
    default_args=default_args,
    schedule="{sched}",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["{team}", "generated"],
) as dag:
    start = EmptyOperator(task_id="start")
    extract = BashOperator(
        task_id="extract",
        bash_command="echo extracting {{{{ ds }}}} from {src}",
    )
    transform = PythonOperator(task_id="transform", python_callable=_transform, op_kwargs={{"ds": "{{{{ ds }}}}"}})
    check = PythonOperator(task_id="check", python_callable=_check)
    load = BashOperator(task_id="load", bash_command="echo load {{{{ ti.xcom_pull(task_ids='transform') }}}}")
    end = EmptyOperator(task_id="end")
    start >> extract >> transform >> check >> load >> end
'''

TASKFLOW = '''"""TaskFlow pipeline {i} for {team}."""
import pendulum

from airflow.decorators import dag, task


@dag(
    dag_id="taskflow_{i:05d}",
    schedule="{sched}",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["{team}"],
)
def taskflow_{i:05d}():
    @task
    def extract() -> list[int]:
        return list(range({retries} * 10))

    @task(multiple_outputs=True)
    def summarize(values: list[int]) -> dict:
        return {{"count": len(values), "sum": sum(values), "max": max(values, default=0)}}

    @task
    def publish(summary: dict) -> None:
        match summary:
            case {{"count": 0}}:
                print("nothing to publish")
            case {{"count": int(n), "sum": s}}:
                print(f"published {{n}} values, sum {{s}}")

    publish(summarize(extract()))


taskflow_{i:05d}()
'''

# EXTRA is repeated 2 to 9 times in a DAG file (by its number): the extra
# tasks, SQL and helpers that make real DAG files 4-8 KB.
EXTRA = '''

# --- stage {j}: {team} quality checks on {src} ---------------------------
QUALITY_SQL_{j} = """
SELECT COUNT(*) AS n,
       SUM(CASE WHEN value IS NULL THEN 1 ELSE 0 END) AS nulls,
       MAX(updated_at) AS freshest
FROM {src}
WHERE ds = '{{{{ ds }}}}' AND stage = {j}
"""


def _check_stage_{j}(rows: list[dict], threshold: float = 0.{j}5) -> bool:
    """Fail the run when more than the threshold of rows in stage {j} are null."""
    if not rows:
        return False
    nulls = sum(1 for r in rows if r.get("value") is None)
    ratio = nulls / len(rows)  # share of empty values
    if ratio > threshold:
        raise ValueError(f"stage {j}: {{ratio:.1%}} nulls in {src} (max {{threshold:.0%}})")
    return True
'''

HELPER = '''"""Shared helpers for team {team} (not a DAG file)."""


def partition(values, size):
    for start in range(0, len(values), size):
        yield values[start:start + size]
'''


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    teams = ["growth", "finance", "ops", "search", "ml", "billing"]
    scheds = ["@daily", "@hourly", "0 6 * * *", "@weekly", None]
    for i in range(n):
        team = teams[i % len(teams)]
        folder = os.path.join(out, team, f"batch_{i // 100:03d}")
        os.makedirs(folder, exist_ok=True)
        sched = scheds[i % len(scheds)] or "@monthly"
        kind = i % 10
        if kind == 9:
            body, name = HELPER.format(team=team), f"helpers_{i:05d}.py"
        elif kind % 3 == 0:
            body, name = TASKFLOW.format(i=i, team=team, sched=sched, retries=1 + i % 4), f"taskflow_{i:05d}.py"
        else:
            body, name = CLASSIC.format(i=i, team=team, sched=sched, src=f"db{i % 13}.table_{i}", retries=1 + i % 4, delay=5 + i % 10), f"pipeline_{i:05d}.py"
        if kind != 9:
            body += "".join(EXTRA.format(j=j, team=team, src=f"db{i % 13}.table_{i}") for j in range(3 + i % 8))
        with open(os.path.join(folder, name), "w") as fh:
            fh.write(body)


if __name__ == "__main__":
    main()
