"""The server that `make run` starts speaks WebSocket, so real-time features need no other server."""
import socketio


def test_make_run_server_upgrades_to_websocket(live_server):
    client = socketio.Client(reconnection=False)
    client.connect(live_server.url, transports=["websocket"], wait_timeout=10)
    try:
        assert client.connected and client.transport() == "websocket"
    finally:
        client.disconnect()


def test_foreign_origins_cannot_open_a_socket(live_server):
    client = socketio.Client(reconnection=False)
    try:
        client.connect(live_server.url, transports=["websocket"], wait_timeout=5,
                       headers={"Origin": "http://evil.example"})
    except socketio.exceptions.ConnectionError:
        return
    client.disconnect()
    raise AssertionError("a socket from another origin was accepted")
