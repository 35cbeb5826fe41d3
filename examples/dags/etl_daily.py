"""Daily ETL: extract, transform, load."""
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="etl_daily",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    tags=["example", "dagnfs"],
) as dag:
    extract = BashOperator(task_id="extract", bash_command="echo extract")
    transform = BashOperator(task_id="transform", bash_command="echo transform")
    load = BashOperator(task_id="load", bash_command="echo load")
    extract >> transform >> load
