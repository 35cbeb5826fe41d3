"""A TaskFlow DAG: the function name is the dag_id."""
from datetime import datetime

from airflow.decorators import dag, task


@dag(start_date=datetime(2026, 1, 1), schedule=None, catchup=False, tags=["example"])
def hello_taskflow():
    @task
    def greet() -> str:
        return "hello from an NFS-published DAG"

    @task
    def shout(text: str) -> None:
        print(text.upper())

    shout(greet())


hello_taskflow()
