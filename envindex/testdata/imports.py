# Imports of the libraries make deps installs, and of ones it does not.
import yaml
import yaml.constructor
from yaml import safe_load
import requests
from requests.adapters import HTTPAdapter
import dateutil.parser
from dateutil import tz
import pendulum
from pendulum import datetime
import json.decoder
import xml.etree.ElementTree
import email.mime.text
import os.path
import concurrent.futures
import importlib.metadata
import urllib3
import charset_normalizer
import idna
import certifi
import pandas
import numpy
import airflow
from airflow.operators.bash import BashOperator
import nosuchmodule.sub
import yaml.nosuch
import json.nosuch
import encodings.idna
import distutils
import lib2to3.pgen2
import sqlite3.dbapi2
import ctypes.util
import __future__
import _thread
import __hello__
