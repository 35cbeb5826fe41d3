"""Helpers shared by DAGs. Not a DAG file: it never mentions the words
Airflow's safe mode looks for, so the scheduler does not parse it."""


def render_report() -> str:
    return "report"
