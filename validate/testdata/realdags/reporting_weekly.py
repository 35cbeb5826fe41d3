from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.utils.trigger_rule import TriggerRule

SQL = """
SELECT region, SUM(amount) AS total
FROM sales
WHERE day BETWEEN '{{ data_interval_start | ds }}' AND '{{ data_interval_end | ds }}'
GROUP BY region
"""


def build_report(**kwargs):
    params = kwargs["params"]
    lines = []
    for row in params.get("rows", []):
        region, total = row
        lines.append("%-10s %12.2f" % (region, total))
    else:
        lines.append("-" * 23)
    return "\n".join(lines)


def notify(**kwargs):
    report = kwargs["ti"].xcom_pull(task_ids="build")
    if not report:
        return None
    match kwargs["params"].get("channel"):
        case "email":
            target = "reports@example.com"
        case "chat" | "slack":
            target = "#reports"
        case _:
            target = None
    return target


with DAG(
    "reporting_weekly",
    schedule=timedelta(days=7),
    start_date=datetime(2024, 1, 7),
    catchup=False,
    params={"rows": [], "channel": "email"},
    template_searchpath=["/opt/airflow/include/sql"],
) as dag:
    build = PythonOperator(task_id="build", python_callable=build_report)
    send = PythonOperator(task_id="notify", python_callable=notify, trigger_rule=TriggerRule.ALL_DONE)
    build >> send
