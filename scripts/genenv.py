#!/usr/bin/env python3
"""Write a synthetic site-packages of N modules for benchmarks: an Airflow
2-like `airflow` package (a fifth of the modules, with classes, functions,
imports and __all__, 2-6 KB each; airflow/__init__ with a lazy-import
__getattr__, the operators and decorators the generated DAGs import), a
`pendulum` package, and other distributions' packages to make up N, each
with its dist-info.
Usage: genenv.py DIR N"""
import os
import sys


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def airflow_module(i):
    classes = "".join(
        '''

class Thing{i}x{j}(BaseThing):
    """A class of module {i}: does thing {j}."""

    template_fields = ("a", "b")

    def __init__(self, a=None, b=None, **kwargs):
        super().__init__(**kwargs)
        self.a, self.b = a, b

    def execute(self, context):
        return {{"a": self.a, "b": self.b, "n": {j}}}
'''.format(i=i, j=j)
        for j in range(2 + i % 5))
    return '''"""Module {i} of the synthetic Airflow."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow.models.base import BaseThing

if TYPE_CHECKING:
    from airflow.utils.context import Context

log = logging.getLogger(__name__)
__all__ = ["Thing{i}x0", "Thing{i}x1"]
{classes}

def helper_{i}(x: int) -> int:
    return x * {i}
'''.format(i=i, classes=classes)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    site = os.path.join(out, "site-packages")
    af = os.path.join(site, "airflow")
    write(os.path.join(af, "__init__.py"), '''__version__ = "2.10.5"
__lazy_imports = {"DAG": "airflow.models.dag", "Dataset": "airflow.datasets"}
def __getattr__(name):
    raise AttributeError(name)
''')
    write(os.path.join(af, "models", "__init__.py"), "from airflow.models.dag import DAG\n")
    write(os.path.join(af, "models", "base.py"), "class BaseThing:\n    def __init__(self, **kwargs): pass\n")
    write(os.path.join(af, "models", "dag.py"), "class DAG:\n    pass\n")
    write(os.path.join(af, "decorators", "__init__.py"), "def dag(f=None, **kw): return f\ndef task(f=None, **kw): return f\n__all__ = ['dag', 'task']\n")
    write(os.path.join(af, "operators", "__init__.py"), "")
    for name, cls in (("bash", "BashOperator"), ("empty", "EmptyOperator"), ("python", "PythonOperator")):
        write(os.path.join(af, "operators", name + ".py"), "from airflow.models.base import BaseThing\nclass %s(BaseThing): pass\n" % cls)
    count = 9
    airflow_n = n // 5
    i = 0
    while count < airflow_n:
        sub = os.path.join(af, "providers", "p%03d" % (i // 100), "mod%d" % (i // 10 % 10))
        if i % 10 == 0:
            write(os.path.join(sub, "__init__.py"), "")
            count += 1
        write(os.path.join(sub, "m%05d.py" % i), airflow_module(i))
        count += 1
        i += 1
    write(os.path.join(site, "apache_airflow-2.10.5.dist-info", "METADATA"), "Name: apache-airflow\nVersion: 2.10.5\n")
    write(os.path.join(site, "pendulum", "__init__.py"), "def datetime(*a, **k): pass\n")
    write(os.path.join(site, "pendulum-3.0.0.dist-info", "METADATA"), "Name: pendulum\nVersion: 3.0.0\n")
    count += 1
    lib = 0
    while count < n:
        pkg = os.path.join(site, "lib%03d" % lib)
        write(os.path.join(site, "lib%03d-1.0.dist-info" % lib, "METADATA"), "Name: lib%03d\nVersion: 1.0\n" % lib)
        for j in range(100):
            d = os.path.join(pkg, "sub%d" % (j // 25))
            if j % 25 == 0:
                write(os.path.join(d, "__init__.py"), "")
                count += 1
            write(os.path.join(d, "m%03d.py" % j), "def f(): pass\n")
            count += 1
        write(os.path.join(pkg, "__init__.py"), "")
        count += 1
        lib += 1
    print(count)


main()
