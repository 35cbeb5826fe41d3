# Generates one DAG per table from a config dict (a common pattern).
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

TABLES = {
    "customers": {"schedule": "@daily", "key": "id"},
    "invoices": {"schedule": "@hourly", "key": "invoice_id"},
    "events": {"schedule": None, "key": "event_id"},  # triggered externally
}


def make_dag(name, cfg):
    with DAG(
        dag_id=f"copy_{name}",
        schedule=cfg["schedule"],
        start_date=datetime(2023, 6, 1),
        catchup=False,
    ) as dag:
        copy = BashOperator(
            task_id="copy",
            bash_command=(
                "psql -c \"\\copy {{ params.table }} to '/tmp/{{ params.table }}.csv' csv\" "
                "&& echo done"
            ),
            params={"table": name, "key": cfg["key"]},
        )
        if cfg["schedule"] == "@hourly":
            check = BashOperator(task_id="check", bash_command="test -s /tmp/%s.csv" % name)
            copy >> check
    return dag


for _name, _cfg in TABLES.items():
    globals()[f"copy_{_name}"] = make_dag(_name, _cfg)
