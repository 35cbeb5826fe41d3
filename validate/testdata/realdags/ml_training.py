"""Weekly model retraining with the TaskFlow API."""
import os
from typing import Any

import pendulum

from airflow.decorators import dag, task
from airflow.exceptions import AirflowSkipException

MODEL_BUCKET = os.environ.get("MODEL_BUCKET", "s3://models")
FEATURES = (
    "age",
    "tenure_days",
    "orders_90d",
    "avg_basket",
)


@dag(
    schedule="@weekly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 1},
    tags=["ml"],
    doc_md=__doc__,
)
def ml_training():
    @task
    def snapshot(**context) -> dict[str, Any]:
        ds = context["ds"]
        return {"path": f"{MODEL_BUCKET}/snapshots/{ds}", "rows": 0}

    @task
    def features(snap: dict[str, Any]) -> dict[str, Any]:
        if not snap["rows"]:
            # nothing new this week
            raise AirflowSkipException("empty snapshot")
        cols = [c for c in FEATURES if not c.startswith("_")]
        return {**snap, "columns": cols}

    @task(multiple_outputs=True)
    def train(feats: dict[str, Any]) -> dict[str, float]:
        score = 0.0
        for i, col in enumerate(feats["columns"], start=1):
            score += 1 / i  # placeholder metric
        return {"auc": round(score / 10, 4), "n": len(feats["columns"])}

    @task.branch
    def gate(auc: float) -> str:
        return "publish" if auc >= 0.7 else "alert"

    @task
    def publish(metrics):
        print(f"publishing model, auc={metrics['auc']:.3f}")

    @task
    def alert():
        print("model below threshold; keeping the previous one")

    m = train(features(snapshot()))
    gate(m["auc"]) >> [publish(m), alert()]


ml_training()
