"""Entry points: `gunicorn wsgi:app` (what `make run` and production run; settings in
gunicorn.conf.py: a gevent worker) and `python wsgi.py` (Werkzeug with threads, for debugging)."""
import gc
import os

# Importing the app and making it allocates a great deal and frees almost nothing: the
# collector's passes meanwhile were a fifth of a worker's start (0.25 of 1.4 s of CPU here).
gc.disable()

from app import create_app  # noqa: E402
from realtime import socketio  # noqa: E402

app = create_app()
# Everything loaded at start-up lives as long as the process: keep it out of the garbage
# collector's generations, so full collections stay short (they were 60-120 ms pauses).
gc.collect()
gc.freeze()
gc.enable()

if __name__ == "__main__":
    from app.mail.worker import start_in_server
    start_in_server(app)  # the e-mail sender, in a thread (gunicorn: gunicorn.conf.py)
    socketio.run(app, host=os.environ.get("MAILLAGE_HOST", "127.0.0.1"),
                 port=int(os.environ.get("MAILLAGE_PORT", "5000")),
                 allow_unsafe_werkzeug=True, debug=False)
