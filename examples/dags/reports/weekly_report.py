"""Weekly report, built with the shared helpers in common/."""
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

from common.helpers import render_report

with DAG(
    dag_id="weekly_report",
    start_date=datetime(2026, 1, 1),
    schedule="@weekly",
    catchup=False,
) as dag:
    PythonOperator(task_id="render", python_callable=render_report)
