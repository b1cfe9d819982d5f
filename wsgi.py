"""Entry points: `python wsgi.py` (development server with WebSockets) and `wsgi:app` for
gunicorn (`gunicorn -k gthread --threads 32 wsgi:app`)."""
import os

from app import create_app
from realtime import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(app, host=os.environ.get("MAILLAGE_HOST", "127.0.0.1"),
                 port=int(os.environ.get("MAILLAGE_PORT", "5000")),
                 allow_unsafe_werkzeug=True, debug=False)
