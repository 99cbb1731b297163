"""The ceiling: one bare Flask route, served by the same gunicorn configuration as the app.

No auth, no database, no schema: what Flask and gunicorn cost by themselves on this machine.
A Partner API call can only get close to this figure, never above it.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")  # what the harness polls until the server is up
def healthz():
    return jsonify(status="ok")


@app.get("/ceiling")
def ceiling():
    return jsonify(ok=True)
