"""The baseline for bench/http.py: a hello-world Flask route, served by the same gunicorn
with the same options as the service it is compared with."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/")
def hello():
    return jsonify({"hello": "world"})
