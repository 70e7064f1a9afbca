"""The benchmark's torch service."""

import numpy
import torch
from fastapi import FastAPI

app = FastAPI()
MODEL = torch.nn.Linear(4, 1)


@app.post("/predict")
def predict(values: list[float]) -> float:
    return float(MODEL(torch.tensor(numpy.asarray(values, dtype="float32"))))
